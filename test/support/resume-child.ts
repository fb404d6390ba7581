/**
 * A training run for test/resume.test.ts, in a process of its own so the test can kill it: a toy
 * GAN on the ring (300 steps, with the learning-rate decay and snapshots on the way) and then a
 * small VAE (300 steps, dynamic binarisation), both through fitOrLoad in GENLAB_TRAIN=full mode.
 * Prints the finished weights files as JSON on its last line.
 */
import { initBackend } from "../../lib/backend";
import { fitToyGAN } from "../../lib/models/gan";
import { fitVAE } from "../../lib/models/vae";
import { Rng } from "../../lib/random";

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const gan = await fitToyGAN("ring8", 7, { budget: { steps: 300 }, snapshots: { n: 20, frames: 4 }, quiet: true });
  const data = new Rng(3).uniformArray(256 * 784);
  const vae = await fitVAE({ model: "vae-resume-test", latent: 4, hidden: [32], data, seed: 5, steps: 300, batchSize: 32 });
  console.log(JSON.stringify({ gan: gan.fit.file, vae: vae.fit.file, snapshots: gan.snapshots?.length }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
