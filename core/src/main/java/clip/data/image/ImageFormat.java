package clip.data.image;

/** The container format of an image file, as its first bytes say. */
public enum ImageFormat {
    JPEG, PNG, GIF, BMP, WEBP, TIFF, UNKNOWN;

    /** From the file's magic bytes, never its name: datasets hold PNGs named .jpg and the like. */
    public static ImageFormat sniff(byte[] bytes) {
        if (startsWith(bytes, 0, 0xFF, 0xD8, 0xFF)) {
            return JPEG;
        }
        if (startsWith(bytes, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return PNG;
        }
        if (startsWith(bytes, 0, 'G', 'I', 'F', '8') && bytes.length > 5 && (bytes[4] == '7' || bytes[4] == '9')
                && bytes[5] == 'a') {
            return GIF;
        }
        if (startsWith(bytes, 0, 'B', 'M')) {
            return BMP;
        }
        if (startsWith(bytes, 0, 'R', 'I', 'F', 'F') && startsWith(bytes, 8, 'W', 'E', 'B', 'P')) {
            return WEBP;
        }
        if (startsWith(bytes, 0, 'I', 'I', 42, 0) || startsWith(bytes, 0, 'M', 'M', 0, 42)) {
            return TIFF;
        }
        return UNKNOWN;
    }

    private static boolean startsWith(byte[] bytes, int at, int... magic) {
        if (bytes.length < at + magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((bytes[at + i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
