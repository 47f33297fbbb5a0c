package clip.checkpoint;

import clip.io.BadInputException;

/**
 * A committed checkpoint that fails verification: a slice missing, truncated or not matching the
 * digest its manifest recorded, a manifest that does not parse, or values that are not finite.
 * The message is one line naming the file at fault; a resume falls back to an older checkpoint.
 */
public final class UnusableCheckpointException extends BadInputException {
    public UnusableCheckpointException(String message) {
        super(message);
    }
}
