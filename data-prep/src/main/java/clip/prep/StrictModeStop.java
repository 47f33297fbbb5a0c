package clip.prep;

import clip.prep.source.Fault;
import clip.io.BadInputException;

/** The first fault of a {@code --strict} run: the run stops and the command exits non-zero. */
public final class StrictModeStop extends BadInputException {
    public StrictModeStop(Fault fault) {
        super("--strict: " + fault.line());
    }
}
