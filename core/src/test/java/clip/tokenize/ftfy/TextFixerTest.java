package clip.tokenize.ftfy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The caption cleaner against ftfy 6.1.1 itself: ftfy-6.1.1-oracle.json holds ftfy's output for
 * caption-like text and its mojibake through every codepage the cleaner handles (see
 * make_ftfy_oracle.py beside it), plus hand-checked cases for each kind of fix.
 */
class TextFixerTest {
    private final TextFixer fixer = new TextFixer();

    @Test
    void matchesFtfyOnEveryOracleCase() throws IOException {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("ftfy-6.1.1-oracle.json")) {
            cases = new ObjectMapper().readTree(in).get("cases");
        }
        assertTrue(cases.size() > 400);
        List<String> wrong = new ArrayList<>();
        int changed = 0;
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            String want = c.get("fixed").asText();
            if (!want.equals(text)) {
                changed++;
            }
            String got = fixer.fix(text);
            if (!got.equals(want)) {
                wrong.add("'" + text + "' -> '" + got + "', ftfy gives '" + want + "'");
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(changed > 300, "the oracle must exercise the fixes, not just pass text through");
    }

    @Test
    void undoesUtf8ReadAsWindows1252() {
        assertEquals("café and \"quotes\"", fixer.fix("caf\u00c3\u00a9 and \u00e2\u20ac\u0153quotes\u00e2\u20ac\u009d"));
        assertEquals("München", fixer.fix("M\u00c3\u00bcnchen"));
    }

    @Test
    void leavesLegitimateAccentsAndSymbolsAlone() {
        // re-decodable as UTF-8 ("É—" is the bytes of U+0257), but not mojibake-looking
        assertEquals("CAFÉ—great", fixer.fix("CAFÉ—great"));
        assertEquals("Ærøskøbing, ½ cup, x², 25°C", fixer.fix("Ærøskøbing, ½ cup, x², 25°C"));
    }

    @Test
    void fixesOnlyTheBrokenRunInsideGoodText() {
        assertEquals("naïve café", fixer.fix("naïve caf\u00c3\u00a9"));
    }

    @Test
    void decodesUnambiguousEntitiesUnlessTextLooksLikeHtml() {
        assertEquals("fish & chips é É", fixer.fix("fish &amp; chips &eacute; &EACUTE;"));
        assertEquals("fish &amp chips", fixer.fix("fish &amp chips"));
        assertEquals("<b>fish &amp; chips</b>", fixer.fix("<b>fish &amp; chips</b>"));
    }

    @Test
    void normalisesWidthLigaturesQuotesBreaksAndControls() {
        assertEquals("ABC123 fi fl", fixer.fix("ＡＢＣ１２３ ﬁ ﬂ"));
        assertEquals("a b", fixer.fix("a\u3000b"));
        assertEquals("'a' \"b\"", fixer.fix("\u2018a\u2019 \u201cb\u201d"));
        assertEquals("a\nb\nc\nd", fixer.fix("a\r\nb\rc\u2028d"));
        assertEquals("nul bel …", fixer.fix("\u0000nul \u0007bel \u0085"));
        assertEquals("red", fixer.fix("\u001b[31mred\u001b[0m"));
        assertEquals("é", fixer.fix("e\u0301"));
        assertEquals("\uFFFD", fixer.fix("\ud83d"));
    }
}
