package clip.prep.source;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Zero-shot labels from COCO's {@code annotations/instances_<split>2017.json}: each image's label
 * is the category of its largest-area object (ties: the earlier annotation). Images without any
 * object have no label.
 */
public record CocoCategories(List<String> classes, Map<Long, Integer> labelOfImage) {
    public static boolean exists(String root, String split, Configuration conf) throws IOException {
        return file(root, split, conf).exists();
    }

    public static CocoCategories read(String root, String split, Configuration conf) throws IOException {
        Map<Long, String> names = new TreeMap<>();
        Map<Long, Long> categoryOf = new HashMap<>();
        Map<Long, Double> largest = new HashMap<>();
        AnnotationFile file = file(root, split, conf);
        file.readArrays(Map.of(
                "categories", e -> names.put(e.number("id"), e.text("name")),
                "annotations", e -> {
                    long image = e.number("image_id");
                    double area = e.decimal("area");
                    if (!largest.containsKey(image) || area > largest.get(image)) {
                        largest.put(image, area);
                        categoryOf.put(image, e.number("category_id"));
                    }
                }));
        List<Long> ids = new ArrayList<>(names.keySet());
        Map<Long, Integer> labels = new HashMap<>();
        for (Map.Entry<Long, Long> x : categoryOf.entrySet()) {
            int index = ids.indexOf(x.getValue());
            if (index < 0) {
                throw new clip.io.BadInputException(file.name() + ": image " + x.getKey() + " has category_id " + x.getValue()
                        + ", which \"categories\" does not list");
            }
            labels.put(x.getKey(), index);
        }
        return new CocoCategories(List.copyOf(names.values()), labels);
    }

    private static AnnotationFile file(String root, String split, Configuration conf) {
        String name = "annotations/instances_" + split + "2017.json";
        return new AnnotationFile(new Path(root, name), name, conf);
    }
}
