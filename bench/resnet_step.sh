#!/bin/sh
# Conv2d/ResNet train step (forward + backward, batch statistics) against torchvision at the same
# width, in the same run. Run from the checkout after a package build, under the shared CPU lock:
#   flock /tmp/clip-cpu.lock bench/resnet_step.sh
set -e
CP="$(cat spark-job/target/classpath.txt):spark-job/target/classes"
for spec in "resnet18 8 224 5" "resnet50 4 224 5"; do
  set -- $spec
  OMP_WAIT_POLICY=PASSIVE java -Xmx8g -cp "$CP" clip.bench.ResNetBench "$1" "$2" "$3" "$4"
  /usr/bin/python3 bench/torch_resnet_step.py "$1" "$2" "$3" "$4" "$(nproc)"
done
