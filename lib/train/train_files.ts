/**
 * The file names inside a training folder, in a module of their own: the stage table
 * (`lib/pipeline/stages.ts`) names every stage's outputs, and importing them from the trainer
 * would put the whole training code (every model) into the code key of every stage.
 * @module
 */

/** File names inside a training folder. */
export const TRAIN_FILES = {
  checkpoint: "checkpoint.bin",
  historyJson: "history.json",
  historyCsv: "history.csv",
} as const;
