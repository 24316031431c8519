/**
 * Learning-rate schedules: the factor that multiplies the optimiser's learning rate at each
 * step, from the run's position alone (so a resumed run continues the same schedule).
 *
 * @example
 * ```ts
 * learningRateScale({ schedule: "cosine", warmupEpochs: 1, epochs: 10 }, 5.5); // ~0.5
 * ```
 * @module
 */

/** The schedules `train --lr-schedule` accepts. */
export const LR_SCHEDULES = ["constant", "cosine"] as const;
/** One of {@linkcode LR_SCHEDULES}. */
export type LrSchedule = typeof LR_SCHEDULES[number];

/** A schedule over a run. */
export interface ScheduleParams {
  /** `constant`: the base rate throughout; `cosine`: half a cosine from 1 down to 0. */
  schedule: LrSchedule;
  /** Epochs of linear warm-up from near 0 to the base rate (both schedules). */
  warmupEpochs: number;
  /** The run's total epochs (the cosine reaches 0 at their end). */
  epochs: number;
}

/** The factor at `epochsDone` (fractional: completed epochs plus the share of the current one). */
export function learningRateScale(params: ScheduleParams, epochsDone: number): number {
  const { warmupEpochs, epochs } = params;
  if (warmupEpochs > 0 && epochsDone < warmupEpochs) {
    return Math.max(epochsDone / warmupEpochs, 1e-3);
  }
  if (params.schedule === "constant") return 1;
  const span = Math.max(epochs - warmupEpochs, 1e-9);
  const t = Math.min(Math.max((epochsDone - warmupEpochs) / span, 0), 1);
  return 0.5 * (1 + Math.cos(Math.PI * t));
}
