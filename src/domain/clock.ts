/** The current time; injected so tests control it. */
export type Clock = () => Date;

/** The real clock. */
export const systemClock: Clock = () => new Date();
