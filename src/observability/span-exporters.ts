import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from './logger.js';

type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];
const SUCCESS = 0 as ExportResult['code'];
const FAILED = 1 as ExportResult['code'];

/** OTLP AnyValue (JSON encoding): 64-bit integers travel as decimal strings. */
type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } };

function anyValue(value: AttributeValue | null | undefined): AnyValue {
  if (Array.isArray(value)) return { arrayValue: { values: value.map((item) => anyValue(item)) } };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { stringValue: value == null ? '' : String(value) };
}

function keyValues(attributes: Attributes) {
  return Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ({ key, value: anyValue(value) }));
}

function unixNano([seconds, nanos]: HrTime): string {
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanos)).toString();
}

/** OTLP span kinds are the API's plus one (0 is UNSPECIFIED in OTLP). */
function otlpSpan(span: ReadableSpan) {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    ...(span.parentSpanContext ? { parentSpanId: span.parentSpanContext.spanId } : {}),
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: unixNano(span.startTime),
    endTimeUnixNano: unixNano(span.endTime),
    attributes: keyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      timeUnixNano: unixNano(event.time),
      name: event.name,
      attributes: keyValues(event.attributes ?? {}),
    })),
    status: { code: span.status.code, ...(span.status.message ? { message: span.status.message } : {}) },
  };
}

/** ExportTraceServiceRequest in OTLP's JSON encoding, spans grouped by instrumentation scope. */
export function otlpTraceRequest(spans: readonly ReadableSpan[], serviceName: string) {
  const byScope = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    const key = `${span.instrumentationScope.name}@${span.instrumentationScope.version ?? ''}`;
    byScope.set(key, [...(byScope.get(key) ?? []), span]);
  }
  const resource = spans[0]?.resource.attributes ?? {};
  return {
    resourceSpans: [
      {
        resource: { attributes: keyValues({ ...resource, 'service.name': serviceName }) },
        scopeSpans: [...byScope.values()].map((scoped) => ({
          scope: {
            name: scoped[0]?.instrumentationScope.name,
            version: scoped[0]?.instrumentationScope.version ?? '',
          },
          spans: scoped.map(otlpSpan),
        })),
      },
    ],
  };
}

/**
 * OTLP/HTTP with the JSON encoding (`POST <endpoint>/v1/traces`), which every OTLP collector
 * accepts; written here because the protobuf exporter packages are not dependencies.
 */
export class OtlpHttpJsonSpanExporter implements SpanExporter {
  readonly #url: string;
  readonly #serviceName: string;
  readonly #pending = new Set<Promise<void>>();

  constructor(endpoint: string, serviceName: string) {
    this.#url = `${endpoint.replace(/\/+$/, '')}/v1/traces`;
    this.#serviceName = serviceName;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const sent = fetch(this.#url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(otlpTraceRequest(spans, this.#serviceName)),
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (response) => {
        await response.body?.cancel();
        resultCallback(
          response.ok
            ? { code: SUCCESS }
            : { code: FAILED, error: new Error(`OTLP collector answered ${response.status}`) },
        );
      })
      .catch((error: Error) => resultCallback({ code: FAILED, error }))
      .finally(() => this.#pending.delete(sent));
    this.#pending.add(sent);
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.#pending);
  }

  shutdown(): Promise<void> {
    return this.forceFlush();
  }
}

/** Without a collector: each finished span is one log line (same fields as OTLP). */
export class LogSpanExporter implements SpanExporter {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    for (const span of spans) this.#logger.info({ span: otlpSpan(span) }, `span ${span.name}`);
    resultCallback({ code: SUCCESS });
  }

  async shutdown(): Promise<void> {}
}
