package clip.prep.source;

import clip.io.BadInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * A labelled image folder as torchvision's ImageFolder reads it: one folder per class, image files
 * at any depth below it (torchvision's extensions; other files are left alone), optionally under
 * split folders ({@code train/}, {@code val/}, {@code test/}). Classes are the class folders in name
 * order, so label k is the k-th folder, as in torchvision; each image gets one caption per template.
 * The shards' {@code file_name} is the path below the split folder, so its first part names the class.
 */
public final class ImageFolder {
    public static final String FORMAT = "imagefolder";
    static final Set<String> SPLITS = Set.of("train", "val", "test");
    static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp");

    private ImageFolder() {
    }

    /** The class folders (label order) and their names, as the manifest records them. */
    public record Classes(List<String> folders, List<String> names) {
    }

    /** Reads the folder tree under {@code root}, keeping the images of {@code splits} (all when empty). */
    public static DatasetListing read(String root, List<String> splits, ImageFolderOptions options, Configuration conf)
            throws IOException {
        Path rootPath = new Path(root);
        FileSystem fs = rootPath.getFileSystem(conf);
        if (!fs.isDirectory(rootPath)) {
            throw new BadInputException(root + ": no such folder");
        }
        List<String> top = folders(fs, rootPath);
        List<String> splitFolders = top.stream().filter(SPLITS::contains).toList();
        if (!splitFolders.isEmpty() && splitFolders.size() != top.size()) {
            String odd = top.stream().filter(f -> !SPLITS.contains(f)).findFirst().orElseThrow();
            throw new BadInputException(new Path(rootPath, odd) + ": a root with split folders (" + String.join(", ", splitFolders)
                    + ") must hold nothing but train/, val/ and test/");
        }
        if (!splitFolders.isEmpty() && options.valFraction() > 0) {
            throw new BadInputException(root + " has split folders already: --val-fraction is for a root of class folders");
        }
        // split -> class folder -> files below it (paths relative to the split's folder)
        Map<String, Map<String, List<String>>> files = new TreeMap<>();
        Set<String> classFolders = new TreeSet<>();
        if (splitFolders.isEmpty()) {
            Map<String, List<String>> byClass = listClasses(fs, rootPath);
            classFolders.addAll(byClass.keySet());
            split(byClass, options, files);
        } else {
            for (String s : splitFolders) {
                Map<String, List<String>> byClass = listClasses(fs, new Path(rootPath, s));
                classFolders.addAll(byClass.keySet());
                files.put(s, byClass);
            }
        }
        if (classFolders.isEmpty()) {
            throw new BadInputException(root + ": no class folders (ImageFolder layout: ROOT/[split/]class/.../image.jpg)");
        }
        List<String> folders = List.copyOf(classFolders);
        List<String> names = names(folders, options.classNames(), conf);
        ListingBuilder listing = new ListingBuilder(FORMAT);
        long id = 0;
        for (Map.Entry<String, Map<String, List<String>>> s : files.entrySet()) {
            if (!splits.isEmpty() && !splits.contains(s.getKey())) {
                continue;
            }
            String imageDir = splitFolders.isEmpty() ? "." : s.getKey();
            for (Map.Entry<String, List<String>> c : s.getValue().entrySet()) {
                String name = names.get(folders.indexOf(c.getKey()));
                for (String file : c.getValue()) {
                    id++;
                    listing.image(id, file, imageDir, s.getKey(), 0, 0);
                    for (int t = 0; t < options.templates().size(); t++) {
                        listing.caption(id * options.templates().size() + t, id, options.templates().get(t).replace("{class}", name));
                    }
                }
            }
        }
        listing.classes(new Classes(folders, names));
        return listing.build();
    }

    /** The class (first part) of a shard row's {@code file_name}. */
    public static String classFolderOf(String fileName) {
        int slash = fileName.indexOf('/');
        return slash < 0 ? "" : fileName.substring(0, slash);
    }

    private static List<String> folders(FileSystem fs, Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        for (FileStatus f : fs.listStatus(dir)) {
            if (f.isDirectory() && !f.getPath().getName().startsWith(".")) {
                out.add(f.getPath().getName());
            }
        }
        Collections.sort(out);
        return out;
    }

    /** Class folder -> its image files at any depth, as paths below {@code dir}, in name order. */
    private static Map<String, List<String>> listClasses(FileSystem fs, Path dir) throws IOException {
        Map<String, List<String>> byClass = new TreeMap<>();
        for (String c : folders(fs, dir)) {
            Path classDir = new Path(dir, c);
            String prefix = fs.makeQualified(classDir).toUri().getPath();
            List<String> images = new ArrayList<>();
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(classDir, true);
            while (it.hasNext()) {
                String path = it.next().getPath().toUri().getPath();
                String relative = path.substring(prefix.length() + 1);
                if (isImage(relative)) {
                    images.add(c + "/" + relative);
                }
            }
            Collections.sort(images);
            byClass.put(c, images);
        }
        return byClass;
    }

    private static boolean isImage(String relative) {
        for (String part : relative.split("/")) {
            if (part.startsWith(".")) {
                return false;
            }
        }
        int dot = relative.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(relative.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** All images to train, or each class's images drawn into val with the seed, so every class is in both. */
    private static void split(Map<String, List<String>> byClass, ImageFolderOptions options, Map<String, Map<String, List<String>>> out) {
        int k = 0;
        for (Map.Entry<String, List<String>> c : byClass.entrySet()) {
            List<String> shuffled = new ArrayList<>(c.getValue());
            Collections.shuffle(shuffled, new Random(options.seed() * 1_000_003L + k++));
            int val = (int) Math.round(shuffled.size() * options.valFraction());
            List<String> valFiles = new ArrayList<>(shuffled.subList(0, val));
            List<String> trainFiles = new ArrayList<>(shuffled.subList(val, shuffled.size()));
            Collections.sort(valFiles);
            Collections.sort(trainFiles);
            out.computeIfAbsent("train", x -> new TreeMap<>()).put(c.getKey(), trainFiles);
            if (options.valFraction() > 0) {
                out.computeIfAbsent("val", x -> new TreeMap<>()).put(c.getKey(), valFiles);
            }
        }
    }

    private static List<String> names(List<String> folders, String mappingFile, Configuration conf) throws IOException {
        if (mappingFile == null) {
            return folders.stream().map(f -> f.replace('_', ' ')).toList();
        }
        Path file = new Path(mappingFile);
        Map<String, String> mapping = new TreeMap<>();
        FileSystem fs = file.getFileSystem(conf);
        if (!fs.isFile(file)) {
            throw new BadInputException(mappingFile + ": no such class names file");
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
            int n = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                n++;
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] parts = l.split("\\s+", 2);
                if (parts.length < 2) {
                    throw new BadInputException(mappingFile + " line " + n + ": expected FOLDER NAME, got '" + l + "'");
                }
                mapping.put(parts[0], parts[1].strip());
            }
        }
        List<String> names = new ArrayList<>();
        for (String f : folders) {
            if (!mapping.containsKey(f)) {
                throw new BadInputException(mappingFile + ": no name for class folder " + f);
            }
            names.add(mapping.get(f));
        }
        return names;
    }
}
