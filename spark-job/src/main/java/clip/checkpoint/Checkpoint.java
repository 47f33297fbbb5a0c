package clip.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * One committed, verified checkpoint, state-dict style: every tensor whole and flattened, by
 * name, however many workers wrote it (the trainer stores each trainable parameter under its
 * own name and its AdamW moments beside it).
 *
 * @param where   the step's folder, for messages
 * @param shapes  every tensor's shape, by name
 * @param tensors every tensor's values, flattened in C order
 * @param state   the trainer's record (step, optimizer steps, parameter norm, mode)
 */
public record Checkpoint(long step, String where, Map<String, long[]> shapes, Map<String, float[]> tensors, JsonNode state) {
}
