package clip.prep.source;

import java.io.Serializable;

/** One caption as published: its annotation (or sentence) id and its raw text, kept intact. */
public record Caption(long id, String text) implements Serializable {
}
