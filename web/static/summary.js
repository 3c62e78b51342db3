/* NeuroTriage: the triage summary card.
 *
 * NeuroTriage.renderTriageSummary(summary, options) turns the bot's custom payload {"triage_summary": {...}}
 * (fields in shared/DESIGN.md) into a card element. Everything from the payload is put on the page with
 * textContent and DOM attributes, never as HTML, and only http(s) links are made clickable.
 */
(function () {
  'use strict';

  var NT = (window.NeuroTriage = window.NeuroTriage || {});
  var cardCount = 0;

  // The level is shown as a coloured badge with a text label and a symbol: never colour alone.
  var LEVELS = {
    emergency: {
      label: 'Emergency', symbol: '!',
      advice: function (o) { return 'Call ' + o.emergencyNumber + ' now or go to the nearest emergency department.'; }
    },
    urgent: {
      label: 'Urgent: be seen today', symbol: '!',
      advice: function (o) { return 'Contact your GP or ' + o.urgentNumber + ' today.'; }
    },
    consultation: {
      label: 'Book an appointment', symbol: 'i',
      advice: function () { return 'Book an appointment with the clinic in the next few days.'; }
    },
    self_care: {
      label: 'Self-care', symbol: '✓',
      advice: function (o) {
        return 'You can look after this yourself for now. If it gets worse or you notice a warning sign, contact ' +
          o.urgentNumber + ', or call ' + o.emergencyNumber + ' in an emergency.';
      }
    }
  };

  var SUITABILITY = [
    { key: 'discuss', heading: 'Options to discuss with your clinician' },
    { key: 'caution', heading: 'Options that need extra care for you' },
    { key: 'not_advised', heading: 'Options not advised for you' }
  ];

  var SEVERITY = {
    high: 'Serious', severe: 'Serious', major: 'Serious', critical: 'Serious',
    moderate: 'Important', medium: 'Important',
    low: 'Note', minor: 'Note', info: 'Note'
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function asList(value) {
    if (Array.isArray(value)) return value;
    if (value === undefined || value === null || value === '') return [];
    return [value];
  }

  function asText(value) {
    if (value === undefined || value === null) return '';
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    if (typeof value === 'object') return String(value.text || value.name || value.label || value.id || '');
    return String(value);
  }

  // Canonical ids such as "bladder_bowel_dysfunction" read as words.
  function words(value) {
    return asText(value).replace(/_/g, ' ');
  }

  function safeUrl(url) {
    if (typeof url !== 'string') return null;
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function guidelineText(line) {
    if (line === undefined || line === null || line === '') return '';
    var n = Number(line);
    if (Number.isInteger(n) && n > 0) {
      var suffix = n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th';
      return 'Guideline: ' + n + suffix + '-line treatment';
    }
    var text = words(line);
    return 'Guideline: ' + (/line/i.test(text) ? text : text + '-line treatment');
  }

  function addList(parent, headingText, items, headingTag) {
    items = asList(items).map(words).filter(Boolean);
    if (!items.length) return null;
    var section = el('div', 'nt-summary-block');
    section.appendChild(el(headingTag || 'h4', 'nt-summary-subheading', headingText));
    var list = el('ul', 'nt-summary-list');
    items.forEach(function (item) { list.appendChild(el('li', null, item)); });
    section.appendChild(list);
    parent.appendChild(section);
    return section;
  }

  function sourceLink(sourceId, sourcesById) {
    var source = sourcesById[sourceId];
    var url = source && safeUrl(source.url);
    var label = 'Source ' + sourceId + (source && source.citation ? ': ' + asText(source.citation) : '');
    var node;
    if (url) {
      node = el('a', 'nt-source-link', '[' + sourceId + ']');
      node.href = url;
      node.target = '_blank';
      node.rel = 'noopener noreferrer';
    } else {
      node = el('span', 'nt-source-link', '[' + sourceId + ']');
    }
    node.setAttribute('aria-label', label);
    node.title = label;
    return node;
  }

  function renderWarning(warning, sourcesById) {
    var item = el('li', 'nt-warning');
    var severity = asText(warning && warning.severity).toLowerCase();
    var severityLabel = SEVERITY[severity] || (severity ? words(severity) : 'Note');
    item.setAttribute('data-severity', severity || 'unknown');
    item.appendChild(el('span', 'nt-warning-severity', severityLabel + ':'));
    item.appendChild(document.createTextNode(' '));
    item.appendChild(el('span', 'nt-warning-text', asText(warning && (warning.text || warning))));
    var ids = asList(warning && warning.source_ids).map(asText).filter(Boolean);
    if (ids.length) {
      var sources = el('span', 'nt-warning-sources');
      ids.forEach(function (id) {
        sources.appendChild(document.createTextNode(' '));
        sources.appendChild(sourceLink(id, sourcesById));
      });
      item.appendChild(sources);
    }
    return item;
  }

  function renderOption(option, sourcesById) {
    var item = el('li', 'nt-option');
    item.setAttribute('data-option-id', asText(option.id));
    item.appendChild(el('h5', 'nt-option-name', asText(option.name) || words(option.id)));
    var facts = [words(option.category), guidelineText(option.guideline_line)].filter(Boolean);
    if (facts.length) item.appendChild(el('p', 'nt-option-facts', facts.join(' · ')));
    var warnings = asList(option.warnings);
    if (warnings.length) {
      var list = el('ul', 'nt-warnings');
      list.setAttribute('aria-label', 'Safety warnings for ' + (asText(option.name) || words(option.id)));
      warnings.forEach(function (w) { list.appendChild(renderWarning(w, sourcesById)); });
      item.appendChild(list);
    }
    return item;
  }

  /**
   * summary: the object under "triage_summary" (the whole payload is accepted too).
   * options: {emergencyNumber, urgentNumber} (defaults from the page's config).
   * Returns an <article> element; nothing is inserted into the page.
   */
  NT.renderTriageSummary = function (summary, options) {
    var config = NT.config || {};
    options = options || {};
    var o = {
      emergencyNumber: options.emergencyNumber || config.emergencyNumber || document.body.getAttribute('data-emergency-number') || '999',
      urgentNumber: options.urgentNumber || config.urgentNumber || 'your doctor'
    };
    if (summary && summary.triage_summary) summary = summary.triage_summary;
    summary = summary && typeof summary === 'object' ? summary : {};

    cardCount += 1;
    var cardId = 'nt-summary-' + cardCount;
    var card = el('article', 'nt-summary');
    card.id = cardId;
    card.setAttribute('aria-labelledby', cardId + '-title');

    var title = el('h3', 'nt-summary-title', 'Your triage summary');
    title.id = cardId + '-title';
    card.appendChild(title);

    var levelKey = asText(summary.triage_level);
    var level = LEVELS[levelKey];
    var levelBox = el('div', 'nt-level nt-level-' + (level ? levelKey : 'unknown'));
    levelBox.setAttribute('data-level', levelKey || 'unknown');
    var badge = el('p', 'nt-level-badge');
    badge.appendChild(el('span', 'nt-level-symbol', level ? level.symbol : '?')).setAttribute('aria-hidden', 'true');
    badge.appendChild(el('span', 'nt-level-prefix', 'Triage level: '));
    badge.appendChild(el('span', 'nt-level-label', level ? level.label : (words(levelKey) || 'not decided')));
    levelBox.appendChild(badge);
    if (level) levelBox.appendChild(el('p', 'nt-level-advice', level.advice(o)));
    card.appendChild(levelBox);

    addList(card, 'Why', summary.reasons);
    addList(card, 'Warning signs you mentioned', summary.red_flags);
    var symptoms = summary.symptoms || {};
    addList(card, 'What you described', Array.isArray(symptoms) ? symptoms : symptoms.present);
    addList(card, 'What you said you do not have', Array.isArray(symptoms) ? [] : symptoms.absent);

    var sources = asList(summary.sources).filter(function (s) { return s && typeof s === 'object' && s.id; });
    var sourcesById = {};
    sources.forEach(function (s) { sourcesById[asText(s.id)] = s; });

    var therapyOptions = asList(summary.therapy_options).filter(function (t) { return t && typeof t === 'object'; });
    if (therapyOptions.length) {
      var optionsBlock = el('div', 'nt-summary-block nt-options');
      optionsBlock.appendChild(el('h4', 'nt-summary-subheading', 'Treatment options'));
      var known = SUITABILITY.map(function (s) { return s.key; });
      var groups = SUITABILITY.concat([{ key: null, heading: 'Other options' }]);
      groups.forEach(function (group) {
        var members = therapyOptions.filter(function (t) {
          return group.key ? t.suitability === group.key : known.indexOf(t.suitability) === -1;
        });
        if (!members.length) return;
        var groupBox = el('section', 'nt-option-group nt-suitability-' + (group.key || 'other'));
        groupBox.setAttribute('data-suitability', group.key || 'other');
        var heading = el('h5', 'nt-option-group-heading', group.heading);
        heading.id = cardId + '-group-' + (group.key || 'other');
        groupBox.setAttribute('aria-labelledby', heading.id);
        groupBox.appendChild(heading);
        var list = el('ul', 'nt-option-list');
        members.forEach(function (t) { list.appendChild(renderOption(t, sourcesById)); });
        groupBox.appendChild(list);
        optionsBlock.appendChild(groupBox);
      });
      card.appendChild(optionsBlock);
    }

    if (sources.length) {
      var sourceBlock = el('div', 'nt-summary-block nt-sources');
      sourceBlock.appendChild(el('h4', 'nt-summary-subheading', 'Sources'));
      var sourceList = el('ul', 'nt-source-list');
      sources.forEach(function (s) {
        var item = el('li', 'nt-source');
        item.appendChild(el('span', 'nt-source-id', '[' + asText(s.id) + '] '));
        var url = safeUrl(s.url);
        var citation = asText(s.citation) || asText(s.id);
        if (url) {
          var link = el('a', 'nt-source-citation', citation);
          link.href = url;
          link.target = '_blank';
          link.rel = 'noopener noreferrer';
          item.appendChild(link);
        } else {
          item.appendChild(el('span', 'nt-source-citation', citation));
        }
        sourceList.appendChild(item);
      });
      sourceBlock.appendChild(sourceList);
      card.appendChild(sourceBlock);
    }

    card.appendChild(el('p', 'nt-summary-footnote',
      'This summary informs; it is not a diagnosis or a prescription. Talk to a clinician before starting or ' +
      'stopping any treatment. In an emergency call ' + o.emergencyNumber + '.'));
    return card;
  };

  /** Renders a summary into the page's preview area (used when a summary arrives outside the chat, and by tests). */
  NT.showTriageSummary = function (summary, options) {
    var host = document.getElementById('nt-summary-preview');
    var card = NT.renderTriageSummary(summary, options);
    if (host) {
      host.textContent = '';
      host.appendChild(card);
    }
    return card;
  };
})();
