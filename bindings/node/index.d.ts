// Type declarations of the cryptota Node package (checked by test/types.ts with tsc).

/** Base class of every error libcryptota reports. */
export class CryptotaError extends Error {
  constructor(message: string, status?: number, statusName?: string);
  /** The ct_status code. */
  status: number;
  /** Its name, e.g. "CT_E_RANGE". */
  statusName: string;
}
export class InvalidArgumentError extends CryptotaError {}
export class OutOfMemoryError extends CryptotaError {}
export class RangeError extends CryptotaError {}
export class StateError extends CryptotaError {}
export class NotFoundError extends CryptotaError {}
export class IOError extends CryptotaError {}
export class NetworkError extends CryptotaError {}
export class FormatError extends CryptotaError {}
export class CorruptError extends CryptotaError {}
export class DataError extends CryptotaError {}
export class HTTPError extends CryptotaError {}
export class RateLimitError extends CryptotaError {}
export class UnsupportedError extends CryptotaError {}
export class PluginError extends CryptotaError {}
export class CancelledError extends CryptotaError {}
export class InternalError extends CryptotaError {}
export function errorClass(status: number): typeof CryptotaError;

export const ABI_VERSION: number;
export const libPath: string;
export function version(): string;
export function versionNumber(): number;
export function abiVersion(): number;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'off';
/** Minimum level of the library's JSON log lines (on stderr, or to the handler). */
export function setLogLevel(level: LogLevel | number): void;
export function logLevel(): LogLevel;
/** One library log line, parsed (log.h): {"ts_ms":...,"level":"warn","module":"feed","msg":"..."}. */
export interface LogRecord {
  /** Epoch milliseconds. */
  ts_ms: number;
  level: Exclude<LogLevel, 'off'>;
  module: string;
  msg: string;
}
/**
 * Route the library's log lines to `fn`, always called on the main thread (exceptions it throws
 * are ignored); null or no argument restores the stderr sink. Lines of library threads reach it
 * while an asynchronous call runs; during a synchronous call that runs several library threads
 * (optimizeSync with threads != 1, loading a .ctz) the library holds them, and they reach it, in
 * order, as the call returns. Setting the first handler or removing the last throws StateError
 * while an asynchronous call is running.
 */
export function setLogHandler(fn?: ((record: LogRecord) => void) | null): void;

export type TimeLike = number | bigint | Date | string;
export type GapPolicy = 'keep' | 'fill' | 'error';
export type NumberArray = Float64Array | ArrayLike<number>;

export interface FeedColumns {
  time: BigInt64Array | ArrayLike<number | bigint | Date>;
  open: NumberArray;
  high: NumberArray;
  low: NumberArray;
  close: NumberArray;
  volume: NumberArray;
}

export interface Gap { afterMs: number; beforeMs: number; missing: number; }

/**
 * One symbol's OHLCV candles; columns are zero-copy views over the library's memory. After
 * dispose() every member throws StateError; a run reading the feed keeps it until it ends.
 */
export class Feed {
  private constructor();
  static load(path: string, options?: { gaps?: GapPolicy }): Feed;
  static fromCsv(source: string | Uint8Array, options?: { symbol?: string; interval?: string | number; gaps?: GapPolicy }): Feed;
  static fromCtz(source: string | Uint8Array): Feed;
  static fromArrays(columns: FeedColumns, options?: { symbol?: string; interval?: string | number; copy?: boolean }): Feed;
  readonly handle: unknown;
  readonly length: number;
  symbol: string;
  readonly intervalMs: number;
  readonly interval: string;
  readonly time: BigInt64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly missingBars: number;
  column(name: 'time'): BigInt64Array;
  column(name: 'open' | 'high' | 'low' | 'close' | 'volume'): Float64Array;
  resample(interval: string | number, options?: { partial?: boolean }): Feed;
  slice(start?: TimeLike | null, end?: TimeLike | null): Feed;
  clone(): Feed;
  gaps(): Gap[];
  save(path: string): void;
  dispose(): void;
}

export interface IndicatorOption { name: string; default: number; min: number; max: number; step: number; integer: boolean; }
export interface IndicatorInfo {
  name: string; fullName: string; group: string; inputs: string[]; options: IndicatorOption[]; outputs: string[];
}
export type IndicatorInput = NumberArray | Feed | number | Record<string, number>;
export type IndicatorOutput = Float64Array | Record<string, Float64Array>;
export interface TA {
  /** Run any indicator: inputs (arrays, or one Feed), then options (positional or an object). */
  run(name: string, ...args: IndicatorInput[]): IndicatorOutput;
  lookback(name: string, ...options: Array<number | Record<string, number>>): number;
  indicators(): IndicatorInfo[];
  Stream: new (name: string, ...options: Array<number | Record<string, number>>) => {
    update(...values: number[]): number | Record<string, number>;
    readonly length: number;
    readonly info: IndicatorInfo;
  };
  /** One function per indicator of the library's table, e.g. ta.rsi(close, 14). */
  [indicator: string]: any;
}
export const ta: TA;

export interface ParamSpec { kind: 'int' | 'real' | 'bool'; def: number; min: number; max: number; step: number; description: string; }
export function param(def: number | boolean, opts?: { kind?: 'int' | 'real' | 'bool'; min?: number; max?: number; step?: number; description?: string }): ParamSpec;

/** What a strategy callback sees; valid only during that callback (later uses throw StateError).
 * Integer arguments must fit the C argument (int64; int32 for handle and output): TypeError for
 * a non-integer, RangeError (the library's) when out of range. */
export class Context {
  readonly bar: number;
  price(field?: 'open' | 'high' | 'low' | 'close' | 'volume', lag?: number | bigint): number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  time(lag?: number | bigint): number;
  series(field?: 'open' | 'high' | 'low' | 'close' | 'volume'): Float64Array;
  readonly position: number;
  readonly cash: number;
  readonly equity: number;
  readonly entryPrice: number;
  declare(name: string, ...options: number[]): number;
  indicator(handle: number, output?: number, lag?: number | bigint): number;
  orderMarket(qty: number): number;
  buy(qty: number): number;
  sell(qty: number): number;
  orderNotional(notional: number): number;
  orderLimit(qty: number, limit: number): number;
  orderStop(qty: number, stop: number): number;
  orderStopLimit(qty: number, stop: number, limit: number): number;
  orderTarget(fraction: number): number;
  closePosition(): number;
  takeProfit(price: number): number;
  stopLoss(price: number): number;
  trailingStop(amount: number, percent?: boolean): number;
  cancel(id: number | bigint): void;
  cancelAll(): void;
  readonly openOrders: Array<{ id: number; type: number; qty: number; price: number; stop: number }>;
  lastFill(): { orderId: number; qty: number; price: number; commission: number };
}

/** Base class of JavaScript strategies (run on the calling thread). */
export class Strategy {
  static strategyName?: string;
  static description?: string;
  static params?: Record<string, number | boolean | ParamSpec>;
  params: Record<string, number | boolean>;
  init?(): void;
  onStart(ctx: Context): void;
  onBar(ctx: Context): void;
  onFill(ctx: Context): void;
  onFinish(ctx: Context): void;
}
export function register(cls: typeof Strategy): string;

export type StrategyLike = string | (new () => Strategy);
export type Settings = Record<string, number | boolean | string>;

export interface BacktestOptions {
  params?: Settings;
  config?: Settings;
  capital?: number;
  commission?: number;
  slippageBps?: number;
  fill?: 'next_open' | 'close';
  closeAtEnd?: boolean;
  allowShort?: boolean;
  leverage?: number;
}

export interface Trade {
  side: number; entryTimeMs: number; exitTimeMs: number; entryBar: number; exitBar: number;
  barsHeld: number; qty: number; entryPrice: number; exitPrice: number; entryCommission: number;
  exitCommission: number; pnlGross: number; pnlNet: number; ret: number; mae: number; mfe: number;
}

export class Result {
  private constructor();
  readonly handle: unknown;
  readonly length: number;
  readonly strategy: string;
  readonly symbol: string;
  readonly intervalMs: number;
  readonly params: Record<string, number | boolean>;
  readonly config: Record<string, number | boolean | string>;
  readonly equity: Float64Array;
  readonly time: BigInt64Array;
  readonly position: Float64Array;
  readonly finalEquity: number;
  readonly finalCash: number;
  readonly pendingAtEnd: number;
  readonly rejectedOrders: number;
  readonly openPosition: { qty: number; entryPrice: number; entryTimeMs: number; entryBar: number } | null;
  readonly tradeCount: number;
  readonly trades: Trade[];
  readonly metrics: Record<string, number>;
  metric(name: string): number;
  /** maxEquityPoints: an integer (number or BigInt) >= 0; 0 keeps the whole curve. */
  toJson(maxEquityPoints?: number | bigint): string;
  reportHtml(path: string): string;
  cacheKey(): string;
  /** After dispose() every member throws StateError. */
  dispose(): void;
}

export function backtest(feed: Feed | string, strategy?: StrategyLike, options?: BacktestOptions): Result;
export function strategies(): Array<{ name: string; description: string; builtin: boolean; flags: number; params: Array<Record<string, unknown>> }>;
export function metricNames(): string[];

export interface Progress { done: number; total: number; best: number; etaS: number; }
export type Space = Record<string, number | number[] | { from: number; to: number; step?: number }>;
/**
 * Integer options (minTrades, threads, samples, shard, train, test, purge) are numbers or
 * BigInts that fit the C argument (int64; int32 for threads): TypeError otherwise, RangeError
 * (the library's) when they do not fit. maximize and anchored are booleans.
 */
export interface SearchOptions {
  config?: Settings;
  metric?: string;
  maximize?: boolean;
  minTrades?: number | bigint;
  threads?: number | bigint;
  /** Return false to cancel. */
  onProgress?: (p: Progress) => boolean | void;
}
export interface OptimizeOptions extends SearchOptions {
  grid?: Space;
  random?: Space;
  samples?: number | bigint;
  /** Any integer, taken modulo 2^64 (as in the Python binding). */
  seed?: number | bigint;
  shard?: [number | bigint, number | bigint];
}
export interface OptimizeRow { rank: number; index: number; params: Record<string, number | boolean>; objective: number; metrics: Record<string, number>; }
export class OptimizeResult {
  private constructor();
  readonly objective: string;
  readonly maximize: boolean;
  readonly total: number;
  readonly evaluated: number;
  readonly skipped: number;
  readonly dsr: number;
  readonly pbo: number;
  readonly rows: OptimizeRow[];
  readonly best: OptimizeRow | null;
  toJson(topK?: number | bigint): string;
  toCsv(): string;
}
export function optimize(feed: Feed | string, strategy?: StrategyLike, options?: OptimizeOptions): Promise<OptimizeResult>;
export function optimizeSync(feed: Feed | string, strategy?: StrategyLike, options?: OptimizeOptions): OptimizeResult;

export interface WalkForwardOptions extends SearchOptions {
  grid: Space;
  train: number | bigint;
  test: number | bigint;
  purge?: number | bigint;
  anchored?: boolean;
}
export interface WalkForwardWindow {
  train: [number, number]; test: [number, number]; index: number;
  params: Record<string, number | boolean>; isObjective: number; oosObjective: number;
}
export class WalkForwardResult {
  private constructor();
  readonly windows: WalkForwardWindow[];
  readonly time: BigInt64Array;
  readonly equity: Float64Array;
  readonly efficiency: number;
  readonly metrics: Record<string, number>;
  toJson(): string;
  reportHtml(path: string): string;
}
export function walkForward(feed: Feed | string, strategy: StrategyLike, options: WalkForwardOptions): Promise<WalkForwardResult>;

export interface FetchOptions {
  interval?: string;
  start?: TimeLike;
  end?: TimeLike;
  futures?: boolean;
  cache?: string;
  baseUrl?: string;
  settings?: Settings;
  /**
   * Bars done of an estimated total (done <= total, in order; the last call has done ===
   * total). Return false to cancel: the Promise rejects with CancelledError (with the exception
   * if it throws).
   */
  onProgress?: (done: number, total: number) => boolean | void;
}
export function fetch(symbol: string, options?: FetchOptions): Promise<Feed>;
export function fetch(symbols: string[], options?: FetchOptions): Promise<Record<string, Feed>>;
