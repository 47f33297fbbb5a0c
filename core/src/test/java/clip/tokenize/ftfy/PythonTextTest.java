package clip.tokenize.ftfy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** PythonText.lower against Python 3.11's str.lower() (expected values printed by it). */
class PythonTextTest {
    @Test
    void capitalSigmaFollowsCPythonsFinalSigmaTest() {
        assertEquals("οδος", PythonText.lower("ΟΔΟΣ"));
        assertEquals("οδος-αθηνα", PythonText.lower("ΟΔΟΣ-ΑΘΗΝΑ"));
        assertEquals("ας1β", PythonText.lower("ΑΣ1Β"));
        assertEquals("α1σ", PythonText.lower("Α1Σ"));
        assertEquals("α^ς", PythonText.lower("Α^Σ"));
        assertEquals("α\u00b7ς", PythonText.lower("Α\u00b7Σ"));
        assertEquals("ασ:β", PythonText.lower("ΑΣ:Β"));
        assertEquals("ασ\u2019β", PythonText.lower("ΑΣ\u2019Β"));
        assertEquals("ας\u2019", PythonText.lower("ΑΣ\u2019"));
        assertEquals("ας\u0301", PythonText.lower("ΑΣ\u0301"));
        assertEquals("σ.", PythonText.lower("Σ."));
        assertEquals(".σ", PythonText.lower(".Σ"));
        assertEquals("σ", PythonText.lower("Σ"));
        assertEquals("σας", PythonText.lower("ΣΑΣ"));
        assertEquals("i\u0307ς", PythonText.lower("\u0130Σ"));
        assertEquals("\ud83d\ude00ab", PythonText.lower("\ud83d\ude00AB"));
    }
}
