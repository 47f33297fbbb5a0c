package clip.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One task at a time on a thread of its own: the next batch's inputs (decoded pixels, tokens) are
 * made while the caller runs the forward pass on the current one. Tasks run one after another, so
 * a source that is not thread-safe is still only ever used by one thread at a time.
 */
final class Prefetch<T> implements AutoCloseable {
    /** Makes one batch's inputs. */
    interface Task<T> {
        T call() throws IOException;
    }

    private final ExecutorService thread;
    private Future<T> pending;

    Prefetch(String name) {
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts making the next batch's inputs. */
    void request(Task<T> task) {
        pending = thread.submit(task::call);
    }

    /** The requested batch's inputs, once made; its failure, rethrown here as it was thrown there. */
    T take() throws IOException {
        try {
            return pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the next batch's inputs were made", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause);
        } finally {
            pending = null;
        }
    }

    /** {@link #take} for tasks that throw no {@link IOException}. */
    T takeUnchecked() {
        try {
            return take();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
