package clip.io;

/**
 * A problem with something the user handed us (a file, a key, a config value), as opposed
 * to a bug. The message is one line that names the thing at fault; the command line prints
 * it without a stack trace and exits non-zero.
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
