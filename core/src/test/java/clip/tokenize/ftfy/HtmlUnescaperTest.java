package clip.tokenize.ftfy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Against Python 3.11's html.unescape (expected values recorded from it). */
class HtmlUnescaperTest {
    private static final String[][] CASES = {
        {"&amp;amp;", "&amp;"}, {"&notit;", "\u00acit;"}, {"&notin;", "\u2209"}, {"&amp", "&"}, {"&AMP;", "&"},
        {"&lt3", "<3"}, {"&#39;", "'"}, {"&#x27;", "'"}, {"&#X41;", "A"}, {"&#0;", "\ufffd"}, {"&#13;", "\r"},
        {"&#128;", "\u20ac"}, {"&#129;", "\u0081"}, {"&#x110000;", "\ufffd"}, {"&#xD800;", "\ufffd"}, {"&#1;", ""},
        {"&#xFFFE;", ""}, {"&#99999999999999999999;", "\ufffd"}, {"&nosuchentity;", "&nosuchentity;"},
        {"& alone", "& alone"}, {"&#;", "&#;"}, {"&#x;", "&#x;"}, {"a&b", "a&b"}, {"&quot;q&quot;", "\"q\""},
        {"&NotNestedGreaterGreater;", "\u2aa2\u0338"}, {"&acE;", "\u223e\u0333"}, {"&eacute", "\u00e9"},
        {"&eacutex", "\u00e9x"},
    };

    @Test
    void matchesPythonHtmlUnescape() {
        for (String[] c : CASES) {
            assertEquals(c[1], HtmlUnescaper.unescape(c[0]), c[0]);
        }
    }

    @Test
    void knowsTheWholeHtml5Table() {
        assertEquals(2231, HtmlUnescaper.namedReferences().size());
    }
}
