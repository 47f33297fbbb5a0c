package clip.retrain;

/** Another run holds the registry's lock and is alive: this run must not start. */
public final class RegistryLockedException extends Exception {
    public RegistryLockedException(String message) {
        super(message);
    }
}
