package clip.exchange;

/** A worker could not complete an exchange: a peer died, hung past the deadline, or was interrupted. */
public final class PeerFailureException extends RuntimeException {
    public PeerFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
