/* NeuroTriage: which bot messages are emergencies.
 *
 * NeuroTriage.classifyBotText(text, numbers) returns
 *   "crisis"  the message gives the crisis line (thoughts of suicide or self-harm),
 *   "alert"   the message tells the patient to call the emergency number or go to the emergency department now,
 *   "notice"  the message mentions the emergency number only conditionally ("If ..., call 999"), as the greeting,
 *             the goodbye and the hand-off do,
 *   null      anything else.
 * "crisis" and "alert" messages raise the red banner (role="alert"); "notice" messages are outlined in red.
 */
(function () {
  'use strict';

  var NT = (window.NeuroTriage = window.NeuroTriage || {});

  function escapeRegExp(text) {
    return String(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }

  // The number as a whole token: "999" but not "19990" or "999-123".
  function numberPattern(number) {
    return new RegExp('(^|[^0-9])' + escapeRegExp(number) + '(?![0-9])');
  }

  function sentences(text) {
    return String(text).replace(/([.!?])\s+/g, '$1\n').split(/\n+/)
      .map(function (s) { return s.trim(); }).filter(Boolean);
  }

  var CONDITIONAL = /^(if|in an emergency|in case|should|when)\b/i;
  var ED_NOW = /\b(go to|get to|attend)\b[^.!?]*\bemergency department\b/i;

  NT.classifyBotText = function (text, numbers) {
    numbers = numbers || NT.config || {};
    var emergencyNumber = String(numbers.emergencyNumber || '999');
    var crisisLine = numbers.crisisLine ? String(numbers.crisisLine) : '';
    text = String(text || '');
    if (!text) return null;
    var hasNumber = numberPattern(emergencyNumber);
    var directive = new RegExp('\\b(call|dial|ring|phone)\\s+' + escapeRegExp(emergencyNumber) + '(?![0-9])', 'i');

    if (crisisLine && text.indexOf(crisisLine) !== -1 && hasNumber.test(text)) return 'crisis';

    var notice = false;
    var list = sentences(text);
    for (var i = 0; i < list.length; i += 1) {
      var sentence = list[i];
      var mentionsNumber = hasNumber.test(sentence);
      var conditional = CONDITIONAL.test(sentence);
      if (!conditional && ((mentionsNumber && directive.test(sentence)) || (ED_NOW.test(sentence) && /\bnow\b|\bnearest\b/i.test(sentence)))) {
        return 'alert';
      }
      if (mentionsNumber && /\b(call|dial|emergency|danger)\b/i.test(sentence)) notice = true;
    }
    return notice ? 'notice' : null;
  };
})();
