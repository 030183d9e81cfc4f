/**
 * Metric readings as the domain sees them (Application Insights `customMetrics` / `AppMetrics`, which the
 * alerts in bicep/alerts read), without OpenTelemetry: core/adapters/telemetry.ts implements it.
 */
export type MetricAttributes = Record<string, string | number | boolean>;

export interface Metrics {
  /** A gauge reading: the value as of now, with its dimensions (customDimensions). */
  gauge(name: string, value: number, attributes: MetricAttributes): void;
}
