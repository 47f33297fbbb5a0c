package clip.onnx;

/** A node attribute: an int, a float or a list of ints (all the project's graphs need). */
record Attribute(String name, Kind kind, long intValue, float floatValue, long[] ints) {
    /** ONNX's AttributeProto.AttributeType numbers. */
    enum Kind {
        FLOAT(1), INT(2), INTS(7);

        final int code;

        Kind(int code) {
            this.code = code;
        }
    }

    static Attribute of(String name, long value) {
        return new Attribute(name, Kind.INT, value, 0, null);
    }

    static Attribute of(String name, float value) {
        return new Attribute(name, Kind.FLOAT, 0, value, null);
    }

    static Attribute ints(String name, long... values) {
        return new Attribute(name, Kind.INTS, 0, 0, values.clone());
    }
}
