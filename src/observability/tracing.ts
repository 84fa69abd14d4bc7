// Aliased: it is an envelop plugin factory, not a React hook (biome's hook rule goes by the name).
import { useOpenTelemetry as openTelemetryPlugin } from '@envelop/opentelemetry';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { ServingState } from '../server/shutdown.js';
import type { Logger } from './logger.js';
import { LogSpanExporter, OtlpHttpJsonSpanExporter } from './span-exporters.js';

const SERVICE_NAME = 'campaign-metrics-gateway';

/**
 * OpenTelemetry spans for GraphQL execution (OTEL_TRACING=true): one server span per operation
 * (`query.CampaignOverview`) with a child per non-trivial resolver. Spans go in batches to the
 * OTLP/HTTP endpoint when one is set, else to the log. Variables and results are not recorded
 * (they carry tenant data); long attribute values (resolver arguments) are truncated. The
 * gateway's dispose sends what is still batched once the requests in flight have finished
 * (yoga disposes plugins last to first: this one, registered first, goes last).
 */
export function tracing({ otlpEndpoint }: Config['tracing'], logger: Logger, serving: ServingState): Plugin {
  const exporter = otlpEndpoint
    ? new OtlpHttpJsonSpanExporter(otlpEndpoint, SERVICE_NAME)
    : new LogSpanExporter(logger);
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(exporter)],
    spanLimits: { attributeValueLengthLimit: 4096 },
  });
  const openTelemetry = openTelemetryPlugin(
    { resolvers: true, defaultResolvers: false, variables: false, result: false },
    provider,
    SpanKind.SERVER,
    {},
    SERVICE_NAME,
  );
  return {
    // The envelop plugin types its own context slot; yoga's context carries it at run time.
    onPluginInit: ({ addPlugin }) => addPlugin(openTelemetry as Plugin),
    onDispose: () => serving.idle().then(() => provider.shutdown()),
  };
}
