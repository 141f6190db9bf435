// Catalogue index: accent-insensitive search and filters, entirely in the page.
// fold() mirrors archive/text.py: NFC, then every precomposed Latin letter with diacritics
// (U+00C0–U+024F, U+1E00–U+1EFF) becomes its bare lower-case ASCII letter, combining marks
// U+0300–U+036F are dropped, đ→d and a few letters Unicode does not decompose are spelled
// out, then lower-case. Every word typed must match a word of the item; the last one may
// be the start of a word (results appear while typing).
(function (global) {
  "use strict";
  var EXTRA = { "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l",
    "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ß": "ss" };
  var cache = {};

  function foldChar(ch) {
    if (Object.prototype.hasOwnProperty.call(EXTRA, ch)) { return EXTRA[ch]; }
    var code = ch.codePointAt(0);
    if (code >= 0x300 && code < 0x370) { return ""; }
    if ((code >= 0xC0 && code < 0x250) || (code >= 0x1E00 && code < 0x1F00)) {
      if (cache[ch] === undefined) {
        var base = ch.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
        cache[ch] = base !== ch && /^[\x00-\x7f]*$/.test(base) ? base.toLowerCase() : ch;
      }
      return cache[ch];
    }
    return ch;
  }

  function fold(text) {
    var out = "";
    for (var ch of String(text).normalize("NFC")) { out += foldChar(ch); }
    return out.toLowerCase();
  }

  var WORD = /[\p{L}\p{N}_]+/gu;

  function tokens(text) { return fold(text).match(WORD) || []; }

  function matches(query, terms) {
    var words = tokens(query);
    if (!words.length) { return true; }
    var have = tokens(terms);
    return words.every(function (w, i) {
      var last = i === words.length - 1;
      return have.some(function (h) { return last ? h.indexOf(w) === 0 : h === w; });
    });
  }

  function init(doc) {
    var form = doc.getElementById("filters");
    if (!form) { return; }
    var q = doc.getElementById("q"), kind = doc.getElementById("kind"), coll = doc.getElementById("collection");
    var cards = Array.prototype.slice.call(doc.querySelectorAll(".card"));
    var count = doc.getElementById("count"), none = doc.getElementById("none");
    function apply() {
      var shown = 0;
      cards.forEach(function (card) {
        var ok = matches(q.value, card.getAttribute("data-terms")) &&
          (!kind.value || card.getAttribute("data-kind") === kind.value) &&
          (!coll.value || card.getAttribute("data-collections").split("\n").indexOf(coll.value) >= 0);
        card.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = String(shown);
      none.hidden = shown !== 0;
    }
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    [q, kind, coll].forEach(function (el) { el.addEventListener("input", apply); });
    var params = new URLSearchParams(global.location ? global.location.search : "");
    if (params.get("q")) { q.value = params.get("q"); }
    apply();
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = { fold: fold, tokens: tokens, matches: matches };
  }
  if (typeof document !== "undefined") { init(document); }
})(typeof window !== "undefined" ? window : globalThis);
