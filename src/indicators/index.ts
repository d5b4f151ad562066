/**
 * `botv6/indicators` — streaming technical indicators.
 *
 * Every indicator is a class with an O(1) `update(...)` (amortised O(1) where a rolling
 * maximum/minimum is involved; CCI's mean deviation is O(period), Hurst O(maxLag)), an
 * `isReady` flag, a `warmup` length and `reset()`, plus a batch function over arrays that
 * returns Float64Array columns with NaN where the value is not yet defined. The batch
 * functions run the streaming classes, so both give bit-identical results.
 *
 * Inputs are validated on every update: NaN/infinite values, negative volumes, high < low and
 * decreasing timestamps throw {@link IndicatorError} (with a stable `code`) before any state
 * changes. Time is integer microseconds since the Unix epoch.
 *
 * Conventions that differ between reference libraries (EMA seeding, σ population vs sample,
 * Wilder vs EMA smoothing, ATR first bar, ADX/SAR start-up, ...) are parameters; the defaults
 * follow TA-Lib where TA-Lib has the indicator. See docs/indicators.md.
 */

export {
  AccumulationDistribution,
  accumulationDistribution,
  ChaikinMoneyFlow,
  type ChaikinMoneyFlowOptions,
  ChaikinOscillator,
  type ChaikinOscillatorOptions,
  chaikinMoneyFlow,
  chaikinOscillator,
} from "./ad.js";
export { ADX, ADX_CONVENTIONS, type ADXOptions, type ADXSeries, type AdxConvention, adx } from "./adx.js";
export { Aroon, type AroonOptions, type AroonSeries, aroon } from "./aroon.js";
export {
  ATR,
  type ATROptions,
  atr,
  FIRST_BAR_TR,
  type FirstBarTR,
  NATR,
  type NATROptions,
  natr,
  TrueRange,
  type TrueRangeOptions,
  trueRange,
} from "./atr.js";
export {
  BollingerBands,
  type BollingerBandsOptions,
  type BollingerBandsSeries,
  bollingerBands,
} from "./bollinger.js";
export { CCI, CCI_DEVIATIONS, type CCIOptions, type CciDeviation, cci } from "./cci.js";
export { Choppiness, type ChoppinessOptions, choppiness } from "./chop.js";
export { DEMA, type DEMAOptions, dema, TEMA, type TEMAOptions, tema } from "./dema.js";
export { DonchianChannels, type DonchianChannelsOptions, donchianChannels } from "./donchian.js";
export { EaseOfMovement, type EaseOfMovementOptions, easeOfMovement } from "./eom.js";
export { IndicatorError, type IndicatorErrorCode } from "./errors.js";
export { ForceIndex, type ForceIndexOptions, forceIndex } from "./force.js";
export { HMA, type HMAOptions, hma } from "./hma.js";
export { HurstExponent, type HurstOptions, hurstExponent } from "./hurst.js";
export { Ichimoku, type IchimokuOptions, type IchimokuSeries, ichimoku } from "./ichimoku.js";
export { KAMA, type KAMAOptions, kama } from "./kama.js";
export {
  type ChannelSeries,
  KeltnerChannels,
  type KeltnerChannelsOptions,
  keltnerChannels,
} from "./keltner.js";
export {
  EMA,
  EMA_SEEDS,
  type EMAOptions,
  type EmaSeed,
  ema,
  MA_TYPES,
  type MAType,
  RMA,
  type RMAOptions,
  rma,
  SMA,
  type SMAOptions,
  sma,
  WMA,
  type WMAOptions,
  wma,
} from "./ma.js";
export {
  MACD,
  MACD_SEEDS,
  type MACDOptions,
  type MACDSeries,
  type MacdSeed,
  macd,
  PPO,
  type PPOOptions,
  type PPOSeries,
  PVO,
  type PVOOptions,
  type PVOSeries,
  ppo,
  pvo,
} from "./macd.js";
export { MFI, type MFIOptions, mfi } from "./mfi.js";
export { OBV, OBV_INITIALS, type OBVOptions, type ObvInitial, obv } from "./obv.js";
export {
  ParabolicSAR,
  type ParabolicSAROptions,
  type ParabolicSARSeries,
  PSAR_CONVENTIONS,
  type PsarConvention,
  parabolicSar,
} from "./psar.js";
export {
  type BatchColumns,
  type BoundIndicator,
  computeBatch,
  getIndicator,
  type IndicatorCategory,
  type IndicatorSpec,
  type InputColumn,
  listIndicators,
  type ParamSpec,
  type ParamType,
  type ParamValue,
  parseParamArgs,
} from "./registry.js";
export { RingBuffer, RollingMax, RollingMin, RollingSum } from "./ring.js";
export {
  Momentum,
  type MomentumOptions,
  momentum,
  ROC,
  ROC_MODES,
  type ROCOptions,
  type RocMode,
  roc,
} from "./roc.js";
export { RSI, RSI_SMOOTHINGS, type RSIOptions, type RsiSmoothing, rsi } from "./rsi.js";
export {
  type LinRegOptions,
  LinRegSlope,
  linRegSlope,
  StdDev,
  type StdDevOptions,
  stdDev,
  Variance,
  type VarianceOptions,
  variance,
  ZScore,
  type ZScoreOptions,
  zScore,
} from "./stats.js";
export { SchaffTrendCycle, type SchaffTrendCycleOptions, schaffTrendCycle } from "./stc.js";
export {
  Stochastic,
  type StochasticOptions,
  StochasticRSI,
  type StochasticRSIOptions,
  type StochasticSeries,
  stochastic,
  stochasticRsi,
  WilliamsR,
  type WilliamsROptions,
  williamsR,
} from "./stochastic.js";
export {
  SUPERTREND_CONVENTIONS,
  SuperTrend,
  type SuperTrendConvention,
  type SuperTrendOptions,
  type SuperTrendSeries,
  superTrend,
} from "./supertrend.js";
export { TSI, type TSIOptions, type TSISeries, tsi } from "./tsi.js";
export {
  ULCER_DRAWDOWNS,
  type UlcerDrawdown,
  UlcerIndex,
  type UlcerIndexOptions,
  ulcerIndex,
} from "./ulcer.js";
export { UltimateOscillator, type UltimateOscillatorOptions, ultimateOscillator } from "./ultimate.js";
export {
  type CloseToCloseOptions,
  CloseToCloseVolatility,
  closeToCloseVolatility,
  GarmanKlassVolatility,
  garmanKlassVolatility,
  ParkinsonVolatility,
  parkinsonVolatility,
  type VolatilityOptions,
  YangZhangVolatility,
  yangZhangVolatility,
} from "./volatility.js";
export { Vortex, type VortexOptions, type VortexSeries, vortex } from "./vortex.js";
export { VolumePriceTrend, volumePriceTrend } from "./vpt.js";
export {
  AnchoredVWAP,
  type AnchoredVWAPOptions,
  anchoredVwap,
  DAY_US,
  SessionVWAP,
  type SessionVWAPOptions,
  sessionVwap,
  VWAP_SOURCES,
  type VWAPSeries,
  type VwapSource,
} from "./vwap.js";
export { VWMA, type VWMAOptions, vwma } from "./vwma.js";
