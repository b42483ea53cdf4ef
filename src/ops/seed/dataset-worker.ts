/**
 * Generates the data set on its own thread, posting each chunk as soon as it
 * is ready, so the main thread can COPY one chunk while this one builds the
 * next: generation and loading then share the machine's cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { generateDataset, type DatasetOptions } from './dataset.js';

for (const chunk of generateDataset(workerData as DatasetOptions)) {
  parentPort?.postMessage(chunk, [chunk.csv.buffer as ArrayBuffer]);
}
parentPort?.postMessage(null);
