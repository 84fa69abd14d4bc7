// The tables drizzle-kit and the drizzle client see; application code imports each table
// from the file that defines it.
export * from './campaigns.js';
export * from './daily-aggregates.js';
export * from './rollups.js';
export * from './snapshots.js';
