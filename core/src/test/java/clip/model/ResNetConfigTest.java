package clip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.BadInputException;
import clip.layers.Init;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** timm's hub config.json form of a ResNet: the standard depths and widths, torchvision's parameter counts. */
class ResNetConfigTest {
    private static JsonNode json(String s) throws Exception {
        return new ObjectMapper().readTree(s);
    }

    @Test
    void timmHubConfigsImplyTheStandardShapes() throws Exception {
        ResNetConfig r50 = ResNetConfig.fromJson(json("{\"architecture\": \"resnet50\", \"num_classes\": 1000,"
                + " \"num_features\": 2048, \"pretrained_cfg\": {\"input_size\": [3, 224, 224]}}"), "r50");
        assertTrue(r50.bottleneck());
        assertArrayEquals(new int[] {3, 4, 6, 3}, r50.layers());
        assertEquals(2048, r50.features());
        assertEquals(224, r50.imageSize());
        ResNetConfig r34 = ResNetConfig.fromJson(json("{\"architecture\": \"resnet34\"}"), "r34");
        assertArrayEquals(new int[] {3, 4, 6, 3}, r34.layers());
        assertEquals(512, r34.features());
    }

    @Test
    void parameterCountsAreTorchvisionsWithoutFc() throws Exception {
        // torchvision: resnet18 11,689,512 and resnet50 25,557,032 parameters, fc 513,000 and 2,049,000 of them
        Init init = new Init(0, DataType.FLOAT, 0.02);
        assertEquals(11_689_512 - 513_000,
                new ResNetModel(ResNetConfig.fromJson(json("{\"architecture\": \"resnet18\"}"), "r18"), init).parameterCount());
        assertEquals(25_557_032 - 2_049_000,
                new ResNetModel(ResNetConfig.fromJson(json("{\"architecture\": \"resnet50\"}"), "r50"), init).parameterCount());
    }

    @Test
    void otherStemsAndBadShapesAreRefusedNamingTheKey() throws Exception {
        BadInputException e = assertThrows(BadInputException.class,
                () -> ResNetConfig.fromJson(json("{\"architecture\": \"resnet50d\"}"), "cfg.json"));
        assertTrue(e.getMessage().contains("resnet50d"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> ResNetConfig.fromJson(
                json("{\"architecture\": \"resnet\", \"block\": \"basic\", \"layers\": [2, 2], \"planes\": [8, 16, 32, 64]}"), "cfg.json"));
        assertTrue(e.getMessage().contains("'layers'"), e.getMessage());
    }
}
