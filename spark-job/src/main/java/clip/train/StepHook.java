package clip.train;

import java.io.IOException;

/** Something the step loop does after a step, such as a periodic evaluation or checkpoint. */
interface StepHook {
    void after(StepResult step) throws IOException;
}
