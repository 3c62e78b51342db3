"""The clinic page in headless Chromium: a whole conversation through the chat widget on Rasa's socket.io channel.

Expects the Rasa server, the action server and the page server to be running (scripts/test.sh starts them); see
conftest.py. The tests of one conversation share a page and run in file order. Screenshots go to
results/screenshots/.
"""
from __future__ import annotations

import json
import os
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import RASA_URL

pytestmark = pytest.mark.e2e

BOT = "#webchat .rw-response"
USER = "#webchat .rw-client"
INPUT_NAME = "Your message to NeuroTriage"
EMERGENCY_NUMBER = {"UK": "999", "US": "911", "EU": "112"}
RED_FLAG = "i suddenly can't control my bladder and my legs are weak"
UNTRUSTED = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
REPLY_TIMEOUT_MS = 45_000

SAMPLE_SUMMARY = {
    "conversation_id": "browser-test",
    "created_at": "2026-01-01T10:00:00Z",
    "triage_level": "urgent",
    "reasons": ["Weakness in the legs that is getting worse", "Burning pain in both feet for three months"],
    "red_flags": ["progressive_weakness"],
    "symptoms": {"present": ["burning", "pins_and_needles"], "absent": ["numbness"]},
    "conditions": ["diabetes", "kidney_disease"],
    "medications": ["sertraline"],
    "pain": {"locations": ["feet"], "duration": "3 months", "score": 6},
    "screening": {"instrument": "DN4", "score": 5, "max_score": 10, "threshold": 4, "positive": True, "answers": {}},
    "contraindications": ["kidney_disease"],
    "therapy_options": [
        {"id": "duloxetine", "name": "Duloxetine", "category": "medication", "guideline_line": 1,
         "suitability": "discuss",
         "warnings": [{"text": "Can make you feel sick or sleepy for the first weeks.", "severity": "low",
                       "source_ids": ["S04"]}]},
        {"id": "pregabalin", "name": "Pregabalin", "category": "medication", "guideline_line": 1,
         "suitability": "caution",
         "warnings": [{"text": "The dose must be lowered when the kidneys work less well.", "severity": "high",
                       "source_ids": ["S01", "S04"]}]},
        {"id": "tramadol", "name": "Tramadol", "category": "medication", "guideline_line": "specialist",
         "suitability": "not_advised",
         "warnings": [{"text": 'With sertraline it can cause serotonin syndrome. <img src=x onerror="window.__pwned=4">',
                       "severity": "high", "source_ids": ["S99"]}]},
        {"id": "tens", "name": "TENS", "category": "device", "guideline_line": 2, "suitability": "discuss",
         "warnings": []},
    ],
    "sources": [
        {"id": "S01", "citation": "Finnerup NB, et al. Lancet Neurol 2015;14:162-73",
         "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC4493167/"},
        {"id": "S04", "citation": "NICE CG173. Neuropathic pain in adults", "url": "https://www.nice.org.uk/guidance/cg173"},
        {"id": "S99", "citation": "A source whose address is not a web link", "url": "javascript:window.__pwned=5"},
    ],
}

# Contrast of every visible text on the page against its background (WCAG AA: 4.5:1, 3:1 for large text).
CONTRAST_CHECK = """() => {
  const parse = (c) => { const m = /rgba?\\(([^)]+)\\)/.exec(c || ''); if (!m) return null;
    const p = m[1].split(',').map(parseFloat); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = (el) => { for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0.5) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const ratio = (fg, bg) => { const a = lum(fg), b = lum(bg); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const failures = []; const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode; const el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el)) continue; seen.add(el);
    const style = getComputedStyle(el); const box = el.getBoundingClientRect();
    if (!box.width || !box.height || style.visibility === 'hidden' || el.closest('[hidden], noscript, .nt-skip-link')) continue;
    const size = parseFloat(style.fontSize); const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
    const value = ratio(parse(style.color), background(el));
    if (value < (large ? 3 : 4.5)) failures.push(`${value.toFixed(2)}:1 "${node.textContent.trim().slice(0, 50)}"`);
  }
  const input = document.querySelector('#webchat .rw-new-message');
  if (input) { const value = ratio(parse(getComputedStyle(input, '::placeholder').color), background(input));
    if (value < 4.5) failures.push(`${value.toFixed(2)}:1 placeholder`); }
  return failures;
}"""


# ---- helpers ------------------------------------------------------------------------------------------------
def texts(page, selector):
    return [t.strip() for t in page.locator(f"{selector} .rw-message-text").all_inner_texts()]


def wait_until_quiet(page, quiet_seconds=1.5, timeout=REPLY_TIMEOUT_MS / 1000):
    """Waits until no bot message has arrived for quiet_seconds (the widget shows replies one by one)."""
    deadline = time.monotonic() + timeout
    count, since = page.locator(BOT).count(), time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        now = page.locator(BOT).count()
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_seconds:
            return count
    return count


def send(page, message):
    """Types a message with the keyboard, sends it with Enter, and waits for the bot's replies."""
    before = page.locator(BOT).count()
    box = page.get_by_role("textbox", name=INPUT_NAME)
    box.fill(message)
    box.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('#webchat .rw-response').length > n", arg=before,
                           timeout=REPLY_TIMEOUT_MS)
    wait_until_quiet(page)
    return texts(page, BOT)[before:]


def wait_for_greeting(page):
    page.get_by_role("button", name="Yes, I agree").wait_for(state="visible", timeout=REPLY_TIMEOUT_MS)
    wait_until_quiet(page, quiet_seconds=1.0)


def emergency_number():
    return EMERGENCY_NUMBER.get(os.environ.get("LOCALE", "UK").upper(), "999")


def tracker(session_id):
    token = os.environ.get("RASA_API_TOKEN")
    if not token:
        return None
    with urllib.request.urlopen(f"{RASA_URL}conversations/{session_id}/tracker?token={token}", timeout=30) as response:
        return json.loads(response.read())


# ---- one conversation, in order ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def conversation(browser, web_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.errors, page.requested = [], []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("request", lambda request: page.requested.append(request.url))
    page.goto(web_url)
    wait_for_greeting(page)
    yield page
    context.close()


def test_page_shows_the_emergency_notice_with_the_locale_number(conversation):
    notice = conversation.locator("#emergency-notice")
    assert f"This assistant is not for emergencies — call {emergency_number()}" in notice.inner_text()
    assert conversation.locator("#emergency-notice a[href^='tel:']").get_attribute("href") == f"tel:{emergency_number()}"
    config = conversation.evaluate("() => fetch('/config.json').then(r => r.json())")
    assert config["emergencyNumber"] == emergency_number()


def test_greeting_appears_with_consent_buttons(conversation, screenshot):
    bot = " ".join(texts(conversation, BOT))
    assert "NeuroTriage" in bot and "not a doctor" in bot
    assert conversation.get_by_role("button", name="Yes, I agree").is_visible()
    assert conversation.get_by_role("button", name="No", exact=True).is_visible()
    assert texts(conversation, USER) == []  # the greeting's trigger is not shown as a patient message
    screenshot(conversation, "01-greeting")


def test_clicking_yes_i_agree_gives_consent(conversation):
    before = conversation.locator(BOT).count()
    conversation.get_by_role("button", name="Yes, I agree").click()
    conversation.wait_for_function("n => document.querySelectorAll('#webchat .rw-response').length > n",
                                   arg=before, timeout=REPLY_TIMEOUT_MS)
    wait_until_quiet(conversation)
    replies = " ".join(texts(conversation, BOT)[before:])
    assert "in your own words" in replies
    assert texts(conversation, USER)[-1] == "Yes, I agree"


def test_a_pain_description_gets_an_answer(conversation, screenshot):
    replies = send(conversation, "my feet burn and tingle at night, it started three months ago")
    assert replies, "no answer to the pain description"
    assert not any("didn't understand" in r for r in replies), replies
    screenshot(conversation, "02-consent-and-pain")


def test_a_red_flag_raises_the_emergency_alert(conversation, screenshot):
    number = emergency_number()
    replies = send(conversation, RED_FLAG)
    assert any(number in r for r in replies), replies
    banner = conversation.get_by_role("alert")
    banner.wait_for(state="visible", timeout=10_000)
    assert banner.get_attribute("id") == "nt-emergency-alert"
    assert f"call {number} now" in banner.inner_text()
    assert conversation.locator("#nt-emergency-alert a[href^='tel:']").get_attribute("href") == f"tel:{number}"
    # the message itself is marked in the conversation, and the banner is on screen
    marked = conversation.locator(f"{BOT}[data-nt-kind='alert']")
    assert marked.count() >= 1 and number in marked.first.inner_text()
    assert banner.is_visible() and banner.bounding_box()["height"] > 40
    # the greeting's conditional notice is outlined, not raised as an alert
    assert conversation.locator(f"{BOT}[data-nt-kind='notice']").count() >= 1
    screenshot(conversation, "03-emergency")


def test_untrusted_text_is_shown_as_text_and_runs_nothing(conversation, screenshot):
    send(conversation, UNTRUSTED)
    assert texts(conversation, USER)[-1] == UNTRUSTED
    assert conversation.locator("#webchat script").count() == 0
    assert conversation.locator(f"{USER} img").count() == 0
    # a bot message with HTML and a javascript: link, as if from a compromised or careless response
    conversation.evaluate("""() => NeuroTriage.simulateBotMessage({text:
        'Bot says <img src=x onerror="window.__pwned=3"> and [click me](javascript:window.__pwned=6)'})""")
    conversation.get_by_text("click me").wait_for(timeout=10_000)
    conversation.wait_for_timeout(300)
    link = conversation.locator(f"{BOT} a", has_text="click me")
    assert link.get_attribute("href") is None, "a javascript: link kept its href"
    conversation.get_by_text("click me").click()
    assert '<img src=x onerror="window.__pwned=3">' in texts(conversation, BOT)[-1]
    assert conversation.evaluate("typeof window.__pwned") == "undefined"
    assert conversation.errors == []
    screenshot(conversation, "04-untrusted-text")


def test_a_triage_summary_payload_becomes_a_card_in_the_chat(conversation, screenshot):
    conversation.evaluate("(s) => NeuroTriage.simulateBotMessage({triage_summary: s})", SAMPLE_SUMMARY)
    card = conversation.locator("#webchat .nt-summary")
    card.wait_for(timeout=10_000)
    assert card.locator(".nt-level-label").inner_text() == "Urgent: be seen today"
    assert "The dose must be lowered" in card.inner_text()
    assert card.get_by_role("link", name="Source S04: NICE CG173. Neuropathic pain in adults").count() == 2
    card.evaluate("e => e.scrollIntoView({block: 'start'})")
    conversation.locator("#chat").scroll_into_view_if_needed()
    screenshot(conversation.locator("#chat"), "05-summary-card-in-chat")


def test_reload_keeps_the_conversation(conversation, screenshot):
    page = conversation
    bot_before, user_before = texts(page, BOT), texts(page, USER)
    session_id = page.evaluate("() => JSON.parse(sessionStorage.getItem('chat_session')).session_id")
    page.reload()
    page.wait_for_function("n => document.querySelectorAll('#webchat .rw-response').length >= n",
                           arg=len(bot_before), timeout=REPLY_TIMEOUT_MS)
    page.get_by_text("Connected to the assistant.").wait_for(timeout=REPLY_TIMEOUT_MS)
    wait_until_quiet(page)
    assert texts(page, BOT) == bot_before
    assert texts(page, USER) == user_before
    assert page.evaluate("() => JSON.parse(sessionStorage.getItem('chat_session')).session_id") == session_id
    assert sum("I'm NeuroTriage" in t for t in texts(page, BOT)) == 1, "the greeting was sent again"
    assert page.get_by_role("alert").is_visible(), "the emergency banner is gone after the reload"
    assert page.locator("#webchat .nt-summary .nt-level-label").inner_text() == "Urgent: be seen today"
    # the same conversation goes on: the server answers in the restored session
    replies = send(page, "thank you")
    assert replies
    screenshot(page, "06-after-reload")
    history = tracker(session_id)
    if history is not None:
        said = [e.get("text") for e in history["events"] if e.get("event") == "user"]
        assert RED_FLAG in said and "thank you" in said


def test_the_conversation_is_usable_by_screen_reader(conversation):
    page = conversation
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    unnamed, roles = [], {}
    for node in nodes:
        if node.get("ignored"):
            continue
        role = node.get("role", {}).get("value")
        name = (node.get("name") or {}).get("value", "").strip()
        roles.setdefault(role, []).append(name)
        if role in ("button", "link", "textbox", "log", "alert") and not name and role != "alert":
            unnamed.append(role)
    assert unnamed == [], f"elements without an accessible name: {unnamed}"
    assert INPUT_NAME in roles.get("textbox", [])
    assert "Conversation with NeuroTriage" in roles.get("log", [])
    assert "Send message" in roles.get("button", [])
    assert page.locator("#webchat [role='log']").get_attribute("aria-live") == "polite"
    assert page.locator("h1").count() == 1
    failures = page.evaluate(CONTRAST_CHECK)
    assert failures == [], f"text below WCAG AA contrast: {failures}"


def test_nothing_was_loaded_from_another_site(conversation):
    """The widget comes from the page server and the chat from the Rasa server: no CDN, no web fonts."""
    page_host = urlsplit(conversation.url).hostname
    hosts = {urlsplit(url).hostname for url in conversation.requested if urlsplit(url).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {page_host}, sorted(hosts)
    assert any("/vendor/rasa-webchat.js" in url for url in conversation.requested)
    assert any("/socket.io/" in url for url in conversation.requested)


def test_the_summary_renderer_shows_level_options_warnings_and_sources(new_page, screenshot):
    page = new_page()
    page.wait_for_function("() => window.NeuroTriage && NeuroTriage.renderTriageSummary", timeout=10_000)
    page.evaluate("(s) => NeuroTriage.showTriageSummary({triage_summary: s})", SAMPLE_SUMMARY)
    card = page.locator("#nt-summary-preview .nt-summary")
    level = card.locator(".nt-level")
    assert level.get_attribute("data-level") == "urgent"
    assert level.locator(".nt-level-label").inner_text() == "Urgent: be seen today"  # a text label, not colour alone
    assert "Weakness in the legs that is getting worse" in card.locator(".nt-summary-block").first.inner_text()
    caution = card.locator("[data-suitability='caution']")
    assert caution.locator(".nt-option-group-heading").inner_text() == "Options that need extra care for you"
    pregabalin = caution.locator("[data-option-id='pregabalin']")
    assert "The dose must be lowered when the kidneys work less well." in pregabalin.locator(".nt-warning").inner_text()
    assert pregabalin.locator(".nt-warning-severity").inner_text() == "Serious:"
    link = pregabalin.get_by_role("link", name="Source S04: NICE CG173. Neuropathic pain in adults")
    assert link.get_attribute("href") == "https://www.nice.org.uk/guidance/cg173"
    assert card.locator("[data-suitability='discuss'] .nt-option").count() == 2
    assert card.locator("[data-suitability='not_advised'] [data-option-id='tramadol']").count() == 1
    sources = card.locator(".nt-source-list")
    assert sources.get_by_role("link", name="NICE CG173. Neuropathic pain in adults").count() == 1
    # untrusted content in the payload stays text; a javascript: address is not made a link
    assert '<img src=x onerror="window.__pwned=4">' in card.inner_text()
    assert card.locator("img").count() == 0
    assert card.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    screenshot(card, "07-summary-card")
    labels = page.evaluate("""() => ['emergency', 'urgent', 'consultation', 'self_care'].map(level =>
        NeuroTriage.renderTriageSummary({triage_level: level}).querySelector('.nt-level-label').textContent)""")
    assert labels == ["Emergency", "Urgent: be seen today", "Book an appointment", "Self-care"]
    advice = page.evaluate("""() => NeuroTriage.renderTriageSummary({triage_level: 'emergency'})
        .querySelector('.nt-level-advice').textContent""")
    assert f"Call {emergency_number()} now" in advice


def focused(page):
    return page.evaluate("() => { const e = document.activeElement; return e.id || e.className || e.tagName; }")


def test_keyboard_only_consent_and_message(new_page):
    """Focus order: skip link, the page's links, the conversation, the reply buttons, the message box."""
    page = new_page()
    wait_for_greeting(page)
    order = []
    for _ in range(40):  # Tab until the reply button has the focus
        page.keyboard.press("Tab")
        order.append(focused(page))
        if page.get_by_role("button", name="Yes, I agree").evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail(f"the reply button cannot be reached with Tab: {order}")
    assert order[0] == "nt-skip-link", order
    assert "rw-messages" in order, order  # the scrolling conversation can be reached and scrolled
    before = page.locator(BOT).count()
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('#webchat .rw-response').length > n", arg=before,
                           timeout=REPLY_TIMEOUT_MS)
    wait_until_quiet(page)
    assert "in your own words" in " ".join(texts(page, BOT)[before:])
    assert focused(page) == "nt-message-input"  # after a reply button, the focus is back in the message box
    before = page.locator(BOT).count()
    page.keyboard.type("my hands go numb and tingle")
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('#webchat .rw-response').length > n", arg=before,
                           timeout=REPLY_TIMEOUT_MS)
    assert texts(page, USER)[-1] == "my hands go numb and tingle"
    after = []
    for _ in range(3):  # the send button is skipped while the box is empty
        page.keyboard.press("Tab")
        after.append(focused(page))
        if after[-1] == "nt-clear":
            break
    assert after[-1] == "nt-clear", f"the message box is not followed by the page's own controls: {after}"


def test_phone_width_shows_the_input_without_horizontal_scroll(new_page, screenshot):
    page = new_page(360, 740)
    wait_for_greeting(page)
    page.evaluate("(s) => NeuroTriage.showTriageSummary(s)", SAMPLE_SUMMARY)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the page scrolls sideways at 360 px"
    box = page.get_by_role("textbox", name=INPUT_NAME)
    box.scroll_into_view_if_needed()
    assert box.is_visible() and box.is_enabled()
    rect = box.bounding_box()
    assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 360
    send_button = page.get_by_role("button", name="Send message").bounding_box()
    assert send_button["x"] + send_button["width"] <= 360
    reply = page.get_by_role("button", name="Yes, I agree").bounding_box()
    assert reply["height"] >= 40, "reply buttons are too small to tap"
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "08-phone-360", full_page=True)
    # one tap from the top of the page to the message box
    page.get_by_role("link", name="Start the chat").click()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'nt-message-input'",
                           timeout=5_000)
    screenshot(page, "09-phone-360-chat")


def test_emergency_messages_are_told_apart_from_the_standing_notices(new_page):
    """The classifier behind the banner, on the bot's real wordings (UK numbers)."""
    page = new_page()
    page.wait_for_function("() => window.NeuroTriage && NeuroTriage.classifyBotText", timeout=10_000)
    numbers = {"emergencyNumber": "999", "crisisLine": "Samaritans on 116 123"}
    cases = {
        "If you feel you are in danger or this is an emergency, stop here and call 999 now.": "notice",
        "What you describe can be a sign of an emergency. Please call 999 now or go to the nearest emergency "
        "department.": "alert",
        "Possible stroke: These can be signs of a stroke. Call 999 now, even if the symptoms seem to be easing.": "alert",
        "Go to the nearest emergency department now, or call 999.": "alert",
        "I'll pass this conversation to a member of the clinic team. If it's urgent, call 111; in an emergency "
        "call 999.": "notice",
        "Goodbye, and take care. If things get worse or you notice a warning sign, call 999.": "notice",
        "Weakness that is getting worse needs a doctor to check you today. Contact 111 now. If the weakness is "
        "sudden or severe, call 999.": "notice",
        "I'm really sorry you're feeling this way. Please talk to someone today: Samaritans on 116 123. If you "
        "might act on these thoughts or you are not safe, call 999 now.": "crisis",
        "I've noted feet, burning, tingling.": None,
        "Your reference is 19990.": None,
    }
    got = page.evaluate("([cases, numbers]) => Object.keys(cases).map(t => NeuroTriage.classifyBotText(t, numbers))",
                        [cases, numbers])
    assert dict(zip(cases, got)) == cases
