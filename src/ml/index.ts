/**
 * The ML engine's public surface (docs/ml.md): features, labels and validation, training,
 * ONNX export and quantisation, inference, registry, serving, adaptive (retrained) models.
 */

export { datasetToCsv, readCsvDataset } from "./csv.js";
export { type Dataset, datasetFromRows, inferClassCount, validateDataset } from "./dataset.js";
export { assertFiniteFeatures, MlError } from "./errors.js";
export {
  type BarInput,
  computeFeatures,
  computeFeaturesFromEvents,
  type FeatureDef,
  type FeatureEvent,
  FeaturePipeline,
  type FeatureSetSpec,
  featureSetSpecHash,
  ORDER_FLOW_METRICS,
  type OrderFlowMetric,
  type TradeInput,
} from "./features/pipeline.js";
export { runConformanceCase } from "./inference/conformance.js";
export { DeferredPredictor, PrecomputedPredictions } from "./inference/deferred.js";
export { OnnxModel, type TensorSignature } from "./inference/session.js";
export { compareVariants, type VariantReport, validationScore } from "./inference/variants.js";
export {
  type BarrierLabels,
  forwardReturns,
  metaLabels,
  type TripleBarrierParams,
  tripleBarrierLabels,
} from "./labels/labels.js";
export {
  checkLookahead,
  type Fold,
  type LeakageReport,
  purgedKFold,
  walkForward,
} from "./labels/validation.js";
export {
  AdaptiveModel,
  type AdaptiveModelOptions,
  type ModelDecision,
  type RetrainConfig,
  type SignalKind,
} from "./live/adaptive-model.js";
export { parseModel, readModelFile, serializeModel, type TrainedModel } from "./model-io.js";
export { exportGbdt, exportMlp, INPUT_NAME } from "./onnx/export.js";
export { decodeModel, decodeTensor } from "./onnx/proto.js";
export { type Quantisation, quantizeMlpDynamic, quantizeMlpStatic } from "./onnx/quantize.js";
export { HotSwapModel } from "./registry/hot-swap.js";
export { featureSetHash, type ModelMetadata, type ModelRecord, ModelRegistry } from "./registry/registry.js";
export { ShadowRunner } from "./registry/shadow.js";
export { FallbackPredictor, V2Client } from "./serving/client.js";
export { startV2Server, type V2Server } from "./serving/server.js";
export { loadTrainConfig, readBarsCsv, runTrainConfig, type TrainConfig } from "./train/config-run.js";
export {
  GbdtEvaluator,
  type GbdtModel,
  type GbdtParams,
  predictGbdt,
  trainGbdt,
} from "./train/gbdt.js";
export { startTraining, TrainingHandle, type TrainProgress, trainInWorker } from "./train/jobs.js";
export { MlpEvaluator, type MlpModel, type MlpParams, predictMlp, trainMlp } from "./train/mlp.js";
export { scoreModel, takeRows } from "./train/report.js";
