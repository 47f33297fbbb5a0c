"""Regenerates ftfy-6.1.1-oracle.json: ftfy 6.1.1's fix_text() on caption-like text.

Run with ftfy checked out at tag v6.1.1 on the path (it needs only the standard library):
    PYTHONPATH=/path/to/python-ftfy python3 make_ftfy_oracle.py > ftfy-6.1.1-oracle.json
"""
import json
import random
import sys

import ftfy

assert ftfy.__version__ == "6.1.1", ftfy.__version__

PHRASES = [
    "Un café crème à la terrasse", "Le garçon mange une crêpe", "Straße in München bei Nacht",
    "Ein Hund läuft über die Brücke", "El niño come una piña en la montaña", "¿Dónde está el baño?",
    "Porto é lindo à noite", "São Paulo às três", "Łódź i Kraków zimą", "Žluťoučký kůň úpěl",
    "Çocuk şehirde koşuyor", "Ελληνικά γράμματα", "Привет, как дела?", "Кошка сидит на окне",
    "日本語のテキスト", "中文标题", "한국어 문장", "A man says “hello” to a dog’s owner",
    "Price: 5 € or £4 — cheap…", "It’s 25°C outside ±2", "© 2023 Company™ ®", "emoji 😀 and 🐱 cats",
    "Smörgåsbord för två", "Ærøskøbing harbour", "naïve coöperation", "façade and résumé", "Dvořák symphony",
    "• bullet point", "‘single’ and «guillemets»", "½ cup of sugar × 2", "Zürich – Genève",
]
ENCODINGS = ["sloppy-windows-1252", "latin-1", "sloppy-windows-1251", "sloppy-windows-1250",
             "sloppy-windows-1253", "sloppy-windows-1254", "iso-8859-2", "macroman", "cp437"]
# Hand-picked edge cases: legit text that merely could be re-decoded, entities, controls, widths.
EXTRA = [
    "CAFÉ—great", "NAÏVE’s", "Ã©tÃ©", "Ã la carte", "voilÃ  le travail", "This is â€œquotedâ€\ufffd text",
    "caf\u00c3\u00a9 and normal caf\u00e9 in one", "\u00c3\u00a9 seul", "Â£5 price", "the Â°C temp",
    "&amp; &lt; &gt; &nbsp; &eacute; &EACUTE; &SZLIG; &notit; &amp &#39; &#x27; &#0; &#128; &#x110000; &#99999999999;",
    "<p>&amp;</p>", "line1 &amp;\n<b>x</b> &amp;\nline3 &amp;", "\u0130stanbul \u0131 \u03a3\u039f\u03a6\u0399\u0391\u03a3",
    "\u00e2\u20ac\u201d dash", "Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "ÐŸÑ€Ð¸Ð²ÐµÑ‚", "Î•Î»Î»Î·Î½Î¹ÎºÎ¬", "æ—¥æœ¬èªž", "ðŸ˜€ emoji",
    "a\u0085b", "a\x81b\x8dc\x9d", "\ufeffbom", "\x1b[31mred\x1b[0m", "x\u206ay", "\ufff9\ufffa\ufffb\ufffc",
    "ﬀﬃﬄﬅﬆĲĳŉǄǅǆǇǈǉǊǋǌǱǲǳ", "ｶﾀｶﾅ ＡＢＣ　ｱ", "\u02bcquote\u201b\u201e\u201f", "\r\nA\rB\u2029C",
    "Ã\u00a0", "Ã ", "SlovenÄ\u008dina", "Ã¢â‚¬Å“doubleÃ¢â‚¬Â", "ÃƒÂ©", "naÃ¯ve cafÃ©", "l’Ã©tÃ©",
    "It\u2019s a dog\u2019s life", "Two men—one dog", "MÃ¼nchen", "Ã–sterreich", "Hello\u00a0world", "a man  with a dog   ",
    "¯\\_(ã\x83\x84)_/¯", "&macr;\\_(ã\x83\x84)_/&macr;", "Broken text&hellip; it&#x2019;s ﬂubberiﬁc!",
]


def variants(phrase, rng):
    yield phrase
    utf8 = phrase.encode("utf-8")
    for enc in ENCODINGS:
        try:
            yield utf8.decode(enc)
        except UnicodeDecodeError:
            pass
    yield utf8.decode("sloppy-windows-1252").encode("utf-8").decode("sloppy-windows-1252")
    words = phrase.split(" ")
    k = rng.randrange(len(words))
    words[k] = words[k].encode("utf-8").decode("sloppy-windows-1252")
    yield " ".join(words)
    yield utf8.decode("sloppy-windows-1252").replace("\xa0", " ")
    yield phrase.replace("é", "&eacute;").replace("à", "&agrave;").replace("’", "&rsquo;") + " &amp; more"


def main():
    rng = random.Random(7)
    texts = [v for p in PHRASES for v in variants(p, rng)]
    texts += json.load(open(sys.argv[1])) if len(sys.argv) > 1 else []
    texts += EXTRA
    unique = list(dict.fromkeys(texts))
    json.dump({
        "generator": "ftfy 6.1.1 (tag v6.1.1, commit 02a634c) fix_text() with default settings, Python 3.11",
        "what": "caption-like phrases, their mojibake through single-byte codepages, partial and double "
                "mojibake, HTML entities, control characters",
        "cases": [{"text": t, "fixed": ftfy.fix_text(t)} for t in unique],
    }, sys.stdout, ensure_ascii=True, indent=0)


if __name__ == "__main__":
    main()
