package clip.prep.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ImageFolder layout read into a listing: classes, captions from templates, split folders or a seeded split. */
class ImageFolderTest {
    private static final ImageFolderOptions DEFAULTS = new ImageFolderOptions(List.of(ImageFolderOptions.DEFAULT_TEMPLATE), null, 0, 0);
    @TempDir
    Path tmp;

    private static void touch(Path root, String... files) throws IOException {
        for (String f : files) {
            Files.createDirectories(root.resolve(f).getParent());
            Files.write(root.resolve(f), new byte[] {1});
        }
    }

    private static DatasetListing read(Path root, List<String> splits, ImageFolderOptions options) throws IOException {
        return ImageFolder.read(root.toString(), splits, options, new Configuration());
    }

    @Test
    void splitFoldersClassFoldersAndImagesAtAnyDepth() throws IOException {
        Path root = tmp.resolve("root");
        touch(root, "train/golden_retriever/a.jpg", "train/golden_retriever/deep/er/b.PNG", "train/tabby_cat/c.jpeg",
                "train/tabby_cat/notes.txt", "train/tabby_cat/.hidden.jpg", "val/tabby_cat/d.webp", "val/golden_retriever/e.bmp");
        ImageFolderOptions options = new ImageFolderOptions(List.of("a photo of a {class}.", "a {class}"), null, 0, 0);
        DatasetListing listing = read(root, List.of(), options);
        assertEquals(List.of("golden_retriever", "tabby_cat"), listing.classes().folders());
        assertEquals(List.of("golden retriever", "tabby cat"), listing.classes().names());
        assertEquals(5, listing.imagesIn());
        assertEquals(10, listing.captionsIn());
        assertEquals(List.of(), listing.faults());
        Map<String, String> splitOf = new TreeMap<>();
        listing.images().forEach(i -> splitOf.put(i.relativePath(), i.split()));
        assertEquals(Map.of("train/golden_retriever/a.jpg", "train", "train/golden_retriever/deep/er/b.PNG", "train",
                "train/tabby_cat/c.jpeg", "train", "val/golden_retriever/e.bmp", "val", "val/tabby_cat/d.webp", "val"), splitOf);
        ImageEntry b = listing.images().stream().filter(i -> i.fileName().endsWith("b.PNG")).findFirst().orElseThrow();
        assertEquals("golden_retriever/deep/er/b.PNG", b.fileName());
        assertEquals("golden_retriever", ImageFolder.classFolderOf(b.fileName()));
        assertEquals(List.of("a photo of a golden retriever.", "a golden retriever"), b.captions().stream().map(Caption::text).toList());

        DatasetListing val = read(root, List.of("val"), options);
        assertEquals(Set.of("val"), val.images().stream().map(ImageEntry::split).collect(Collectors.toSet()));
        assertEquals(2, val.images().size());
        assertEquals(listing.classes(), val.classes(), "labels are the same whichever splits are read");
    }

    @Test
    void aRootOfClassFoldersIsSplitPerClassWithTheSeed() throws IOException {
        Path root = tmp.resolve("flat");
        for (String c : List.of("ant", "bee", "cow")) {
            for (int i = 0; i < 20; i++) {
                touch(root, c + "/" + i + ".jpg");
            }
        }
        assertEquals(Set.of("train"), read(root, List.of(), DEFAULTS).images().stream().map(ImageEntry::split)
                .collect(Collectors.toSet()));
        DatasetListing a = read(root, List.of(), new ImageFolderOptions(List.of("{class}"), null, 0.25, 7));
        DatasetListing again = read(root, List.of(), new ImageFolderOptions(List.of("{class}"), null, 0.25, 7));
        DatasetListing other = read(root, List.of(), new ImageFolderOptions(List.of("{class}"), null, 0.25, 8));
        Map<String, Long> valPerClass = a.images().stream().filter(i -> i.split().equals("val"))
                .collect(Collectors.groupingBy(i -> ImageFolder.classFolderOf(i.fileName()), TreeMap::new, Collectors.counting()));
        assertEquals(Map.of("ant", 5L, "bee", 5L, "cow", 5L), valPerClass);
        assertEquals(a.images(), again.images());
        assertNotEquals(a.images().stream().filter(i -> i.split().equals("val")).map(ImageEntry::fileName).toList(),
                other.images().stream().filter(i -> i.split().equals("val")).map(ImageEntry::fileName).toList());
        assertEquals(60, a.images().stream().map(ImageEntry::id).distinct().count());
    }

    @Test
    void classNamesFromAMappingFileLikeImageNetsSynsetList() throws IOException {
        Path root = tmp.resolve("inet");
        touch(root, "n01440764/x.JPEG", "n01443537/y.JPEG");
        Path mapping = tmp.resolve("LOC_synset_mapping.txt");
        Files.writeString(mapping, "n01440764 tench, Tinca tinca\nn01443537 goldfish, Carassius auratus\n");
        DatasetListing listing = read(root, List.of(), new ImageFolderOptions(List.of("a photo of a {class}."), mapping.toString(), 0, 0));
        assertEquals(List.of("tench, Tinca tinca", "goldfish, Carassius auratus"), listing.classes().names());
        assertEquals("a photo of a tench, Tinca tinca.", listing.images().get(0).captions().get(0).text());

        Files.writeString(mapping, "n01440764 tench\n");
        BadInputException e = assertThrows(BadInputException.class,
                () -> read(root, List.of(), new ImageFolderOptions(List.of("{class}"), mapping.toString(), 0, 0)));
        assertEquals(mapping + ": no name for class folder n01443537", e.getMessage());
    }

    @Test
    void badLayoutsAndOptionsAreOneLineErrors() throws IOException {
        Path root = tmp.resolve("mixed");
        touch(root, "train/cat/a.jpg", "dog/b.jpg");
        BadInputException mixed = assertThrows(BadInputException.class, () -> read(root, List.of(), DEFAULTS));
        assertTrue(mixed.getMessage().endsWith("dog: a root with split folders (train) must hold nothing but train/, val/ and test/"),
                mixed.getMessage());
        assertThrows(BadInputException.class, () -> read(tmp.resolve("absent"), List.of(), DEFAULTS));
        Files.createDirectories(tmp.resolve("empty"));
        assertTrue(assertThrows(BadInputException.class, () -> read(tmp.resolve("empty"), List.of(), DEFAULTS)).getMessage()
                .contains("no class folders"));
        assertEquals("caption template 'a photo' has no {class} for the class name", assertThrows(BadInputException.class,
                () -> new ImageFolderOptions(List.of("a photo"), null, 0, 0)).getMessage());
        assertThrows(BadInputException.class, () -> new ImageFolderOptions(List.of("{class}"), null, 1.0, 0));
        touch(tmp.resolve("split"), "train/cat/a.jpg");
        assertThrows(BadInputException.class, () -> read(tmp.resolve("split"), List.of(),
                new ImageFolderOptions(List.of("{class}"), null, 0.5, 0)));
    }
}
