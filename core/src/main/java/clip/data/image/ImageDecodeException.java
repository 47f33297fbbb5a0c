package clip.data.image;

/** An image file that cannot be decoded. The message is a short reason; the caller adds the file name. */
public final class ImageDecodeException extends Exception {
    public ImageDecodeException(String reason) {
        super(reason);
    }

    public ImageDecodeException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
