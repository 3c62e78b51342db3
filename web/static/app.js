/* NeuroTriage clinic page: mounts the rasa-webchat widget on Rasa's socket.io channel and adds what the page needs
 * around it: accessible names and a live region, keyboard-usable reply buttons, a guard on links in messages, the
 * emergency banner, and the triage summary card for the bot's {"triage_summary": {...}} payload.
 */
(function () {
  'use strict';

  var NT = (window.NeuroTriage = window.NeuroTriage || {});
  var STORAGE_KEY = 'chat_session'; // where rasa-webchat keeps the session id and the conversation
  var SAFE_LINK = /^(https?:|mailto:|tel:)/i;

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function setStatus(text) {
    var status = document.getElementById('nt-status');
    if (status && status.textContent !== text) status.textContent = text;
  }

  /* ---- the summary card inside the conversation ------------------------------------------------------------
   * rasa-webchat renders a custom payload with the `customComponent` it is given, a React component. The widget's
   * bundle keeps React to itself, so the component returns a plain React 16 element object for a <div> (the
   * shape React.createElement makes; the widget and its React are pinned by package-lock.json) whose callback ref
   * fills the <div> with the card built by summary.js using DOM APIs. tests/browser checks this path.
   */
  var REACT_ELEMENT = (typeof Symbol === 'function' && Symbol['for']) ? Symbol['for']('react.element') : 0xeac7;

  function summaryFrom(props) {
    if (!props || typeof props !== 'object') return null;
    if (props.triage_summary && typeof props.triage_summary === 'object') return props.triage_summary;
    if (props.data && typeof props.data === 'object' && props.data.triage_summary) return props.data.triage_summary;
    if (props.custom && typeof props.custom === 'object' && props.custom.triage_summary) return props.custom.triage_summary;
    return null;
  }

  function SummaryMessage(props) {
    var summary = summaryFrom(props);
    if (!summary) return null;
    return {
      $$typeof: REACT_ELEMENT,
      type: 'div',
      key: null,
      ref: function (node) {
        if (node && !node.hasAttribute('data-nt-rendered')) {
          node.setAttribute('data-nt-rendered', 'true');
          node.appendChild(NT.renderTriageSummary(summary));
        }
      },
      props: { className: 'nt-summary-host' },
      _owner: null
    };
  }
  NT.SummaryMessage = SummaryMessage;

  /* ---- emergency banner -------------------------------------------------------------------------------------- */
  var shownAlertText = null;

  function showEmergency(kind, messageText) {
    var banner = document.getElementById('nt-emergency-alert');
    if (!banner) return;
    var config = NT.config || {};
    var number = config.emergencyNumber || document.body.getAttribute('data-emergency-number');
    var key = kind + '|' + messageText;
    if (shownAlertText === key) return;
    shownAlertText = key;
    var wasHidden = banner.hidden;
    banner.hidden = false;
    banner.setAttribute('data-kind', kind);
    $('.nt-alert-title', banner).textContent = kind === 'crisis'
      ? 'Please get support now. If you are not safe, call ' + number + ' now'
      : 'Emergency: call ' + number + ' now';
    $('#nt-emergency-alert-text', banner).textContent = 'The assistant said: ' + messageText;
    if (wasHidden && banner.scrollIntoView) banner.scrollIntoView({ block: 'nearest' });
  }

  /* ---- what the widget's DOM lacks ------------------------------------------------------------------------- */
  function setAttr(node, name, value) {
    if (node && node.getAttribute(name) !== value) node.setAttribute(name, value);
  }

  function enhance(root) {
    var log = $('.rw-messages-container', root);
    if (log) {
      setAttr(log, 'role', 'log');
      setAttr(log, 'aria-live', 'polite');
      setAttr(log, 'aria-relevant', 'additions');
      setAttr(log, 'aria-label', 'Conversation with NeuroTriage');
      setAttr(log, 'tabindex', '0'); // the scrolling area can be scrolled with the keyboard
    }
    var title = $('.rw-title', root);
    if (title) { setAttr(title, 'role', 'heading'); setAttr(title, 'aria-level', '3'); }

    var input = $('.rw-new-message', root);
    if (input) {
      setAttr(input, 'id', 'nt-message-input');
      setAttr(input, 'aria-label', 'Your message to NeuroTriage');
      setAttr(input, 'autocomplete', 'off');
    }
    $all('.rw-send', root).forEach(function (button) {
      setAttr(button, 'aria-label', 'Send message');
      $all('svg, img', button).forEach(function (icon) { setAttr(icon, 'aria-hidden', 'true'); });
    });
    $all('.rw-launcher, .rw-close-button, .rw-toggle-fullscreen-button', root).forEach(function (button) {
      if (!button.getAttribute('aria-label')) {
        setAttr(button, 'aria-label', button.classList.contains('rw-launcher') ? 'Open the chat' : 'Close the chat');
      }
      $all('img, svg', button).forEach(function (icon) { setAttr(icon, 'aria-hidden', 'true'); });
    });
    $all('img.rw-avatar', root).forEach(function (img) { setAttr(img, 'alt', ''); });

    // Reply buttons are <div>s in this widget: make them buttons for the keyboard and screen readers.
    $all('.rw-reply', root).forEach(function (reply) {
      if (reply.tagName !== 'BUTTON') {
        setAttr(reply, 'role', 'button');
        setAttr(reply, 'tabindex', '0');
      }
      if (!reply.getAttribute('aria-label') && !reply.textContent.trim()) setAttr(reply, 'aria-label', 'Reply');
    });

    // Links in messages: only http(s), mailto and tel; anything else (javascript:, data:) loses its href.
    $all('a[href]', root).forEach(function (link) {
      var href = link.getAttribute('href') || '';
      if (!SAFE_LINK.test(href.trim())) {
        link.removeAttribute('href');
        link.setAttribute('data-nt-blocked-link', 'true');
      } else if (link.target === '_blank') {
        setAttr(link, 'rel', 'noopener noreferrer');
      }
    });

    // Bot messages that are emergencies. The banner quotes the first emergency message of the latest reply
    // (the headline; the advice for each warning sign follows it in the conversation).
    var latest = null;
    var firstOfReply = true;
    $all('.rw-response, .rw-client', root).forEach(function (bubble) {
      if (bubble.classList.contains('rw-client')) { firstOfReply = true; return; }
      var textNode = $('.rw-message-text', bubble) || bubble;
      var text = textNode.textContent || '';
      var kind = NT.classifyBotText ? NT.classifyBotText(text, NT.config) : null;
      if (kind) {
        setAttr(bubble, 'data-nt-kind', kind);
        if (kind !== 'notice' && firstOfReply) {
          latest = { kind: kind, text: text.trim() };
          firstOfReply = false;
        }
      } else if (bubble.hasAttribute('data-nt-kind')) {
        bubble.removeAttribute('data-nt-kind');
      }
    });
    if (latest) showEmergency(latest.kind, latest.text);
  }

  function watch(root) {
    var scheduled = false;
    var run = function () { scheduled = false; enhance(root); };
    new MutationObserver(function () {
      if (!scheduled) { scheduled = true; window.requestAnimationFrame(run); }
    }).observe(root, { childList: true, subtree: true, characterData: true });
    enhance(root);

    // Enter or Space on a reply "button" clicks it; after a reply, the focus goes back to the message box.
    root.addEventListener('keydown', function (event) {
      var reply = event.target.closest && event.target.closest('.rw-reply[role="button"]');
      if (reply && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        reply.click();
      }
    });
    root.addEventListener('click', function (event) {
      if (event.target.closest && event.target.closest('.rw-reply')) {
        window.setTimeout(function () {
          var input = $('.rw-new-message', root);
          if (input && !input.disabled) input.focus();
        }, 50);
      }
    });
  }

  /**
   * Hands a message to the widget as if the bot had sent it over socket.io, e.g.
   * NeuroTriage.simulateBotMessage({triage_summary: {...}}). For tests and staff demonstrations: it changes only
   * this page, nothing is sent to the server.
   */
  NT.simulateBotMessage = function (message) {
    if (!NT.socket) throw new Error('the chat is not connected yet');
    NT.socket.listeners('bot_uttered').forEach(function (listener) { listener.call(NT.socket, message); });
  };

  /* ---- start ---------------------------------------------------------------------------------------------- */
  function clearConversation() {
    try { window.sessionStorage.removeItem(STORAGE_KEY); } catch (e) { /* storage blocked: nothing kept */ }
    try { window.localStorage.removeItem(STORAGE_KEY); } catch (e) { /* idem */ }
    window.location.reload();
  }

  function start(config) {
    NT.config = config;
    var container = document.getElementById('webchat');
    if (!window.WebChat || typeof window.WebChat['default'] !== 'function') {
      setStatus('The chat could not be loaded. Please phone the clinic. In an emergency call ' + config.emergencyNumber + '.');
      return;
    }
    var socketUrl = config.socketUrl || (window.location.protocol + '//' + window.location.hostname + ':' + config.rasaPort);
    window.WebChat['default']({
      socketUrl: socketUrl,
      socketPath: config.socketPath || '/socket.io/',
      initPayload: '/greet',
      title: 'NeuroTriage',
      subtitle: 'Nerve pain assistant · not for emergencies',
      inputTextFieldHint: 'Type your message',
      connectingText: 'Connecting…',
      embedded: true,
      showCloseButton: false,
      showFullScreenButton: false,
      hideWhenNotConnected: false,
      withRules: false,
      params: { storage: 'session' }, // kept across a reload of this tab, gone when the tab is closed
      customMessageDelay: function () { return 400; },
      customComponent: SummaryMessage,
      onSocketEvent: {
        connect: function () {
          NT.socket = this; // socket.io-client calls listeners with the socket as `this`
          setStatus('Connected to the assistant.');
        },
        disconnect: function () { setStatus('The connection to the assistant was lost. Trying again…'); },
        connect_error: function () {
          setStatus('The assistant cannot be reached right now. In an emergency call ' + config.emergencyNumber + '.');
        }
      }
    }, container);
    watch(container);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var clear = document.getElementById('nt-clear');
    if (clear) clear.addEventListener('click', clearConversation);
    // "Skip to the chat" and "Start the chat" put the cursor in the message box, ready to type.
    $all('a[href="#chat"]').forEach(function (link) {
      link.addEventListener('click', function () {
        window.setTimeout(function () {
          var input = $('#webchat .rw-new-message');
          if (input && !input.disabled) input.focus();
        }, 0);
      });
    });
  });

  fetch('/config.json', { cache: 'no-store' })
    .then(function (response) {
      if (!response.ok) throw new Error('config ' + response.status);
      return response.json();
    })
    .then(start)
    .catch(function () {
      setStatus('The chat could not be started. Please phone the clinic. In an emergency call ' +
        (document.body.getAttribute('data-emergency-number') || '999') + '.');
    });
})();
