// How the live page writes numbers: the same rules as tradewire_dashboard/market_numbers.py (history,
// admin), checked against the same cases. Decimals arrive as strings and are formatted as exact decimals
// (Intl.NumberFormat takes a string as an exact decimal), never through a binary float.
"use strict";

const MarketNumbers = (() => {
  const FIAT_LIKE = new Set(["USDT", "USDC", "BUSD", "FDUSD", "TUSD", "DAI", "USD", "EUR", "GBP", "TRY", "BRL", "JPY"]);
  const COIN_DECIMALS = 8;
  const SMALL_PRICE_DIGITS = 4;
  const DASH = "–";
  const formats = new Map();
  // symbol -> {price, amount}: decimals of the market's price tick and amount step, from the trader's
  // `markets_loaded` fact. A market the page has not heard of is written by the rules below (a guess
  // from the quote currency).
  const markets = new Map();
  const decimalsOf = (step) => {
    const [, fraction = ""] = String(step).split(".");
    return Number(step) >= 1 ? 0 : fraction.replace(/0+$/, "").length;
  };

  const missing = (value) => value === null || value === undefined || value === "";
  const text = (value) => (typeof value === "number" ? value.toFixed(12) : String(value).trim());
  const isZero = (value) => Number(text(value)) === 0; // "0E-12" too
  const isNegative = (value) => text(value).startsWith("-") && !isZero(value);

  function formatter(decimals, trim) {
    const key = `${decimals}:${trim}`;
    if (!formats.has(key)) {
      formats.set(key, new Intl.NumberFormat("en-US", {
        minimumFractionDigits: trim ? 0 : decimals, maximumFractionDigits: decimals, roundingMode: "halfExpand",
      }));
    }
    return formats.get(key);
  }

  function grouped(value, decimals, trim = false) {
    const out = formatter(decimals, trim).format(text(value));
    return /^-[0.,]*$/.test(out) ? out.slice(1) : out; // "-0.00" reads as a loss that is not there
  }

  const quoteOf = (symbol) => (symbol && symbol.includes("/") ? symbol.split("/")[1].split(":")[0] : "");
  const moneyDecimals = (currency) => (!currency || FIAT_LIKE.has(String(currency).toUpperCase()) ? 2 : COIN_DECIMALS);

  function priceDecimals(value, quote) {
    if (!FIAT_LIKE.has(String(quote || "").toUpperCase())) return COIN_DECIMALS;
    const digits = text(value).replace(/^[-+]/, "");
    const [whole, fraction = ""] = digits.split(".");
    if (Number(whole) >= 1 || isZero(value)) return 2;
    const leadingZeros = fraction.length - fraction.replace(/^0+/, "").length;
    return Math.min(COIN_DECIMALS, leadingZeros + SMALL_PRICE_DIGITS);
  }

  function withSign(value, out, signed) {
    return signed && !isNegative(value) && !isZero(value) && !/^[0.,]*$/.test(out) ? `+${out}` : out;
  }

  return {
    quoteOf,
    priceDecimals,
    // Bumped when a market's precision changes: rows written before are written again.
    version: 0,
    setMarket(symbol, market) {
      const known = markets.get(symbol);
      const next = { price: decimalsOf(market.price_tick), amount: decimalsOf(market.amount_step) };
      if (known && known.price === next.price && known.amount === next.amount) return;
      markets.set(symbol, next);
      this.version += 1;
    },
    market: (symbol) => markets.get(symbol) || null,
    // The price axis and tables: the market's tick when known.
    priceDecimalsOf(value, symbol) {
      const market = markets.get(symbol);
      return market ? market.price : priceDecimals(value, quoteOf(symbol));
    },
    price(value, symbol) {
      return missing(value) ? DASH : grouped(value, this.priceDecimalsOf(value, symbol));
    },
    // An amount of the market's base coin: rounded to its amount step when known, else to 8 decimals;
    // trailing zeros dropped.
    amount(value, symbol) {
      if (missing(value)) return DASH;
      const market = symbol ? markets.get(symbol) : null;
      return grouped(value, market ? market.amount : COIN_DECIMALS, true);
    },
    money(value, currency, { signed = false } = {}) {
      if (missing(value)) return DASH;
      const out = withSign(value, grouped(value, moneyDecimals(currency)), signed);
      return currency ? `${out} ${currency}` : out;
    },
    holding(value, currency) {
      if (missing(value)) return DASH;
      return FIAT_LIKE.has(String(currency).toUpperCase()) ? this.money(value, currency) : `${this.amount(value)} ${currency}`;
    },
    percent(value, { signed = true } = {}) {
      return missing(value) ? DASH : `${withSign(value, grouped(value, 2), signed)} %`;
    },
    held(totalSeconds) {
      if (missing(totalSeconds) || !Number.isFinite(Number(totalSeconds)) || totalSeconds < 0) return DASH;
      const whole = Math.floor(Number(totalSeconds));
      const days = Math.floor(whole / 86400);
      const hours = Math.floor((whole % 86400) / 3600);
      const minutes = Math.floor((whole % 3600) / 60);
      if (days) return `${days}d ${hours}h`;
      if (hours) return `${hours}h ${minutes}m`;
      return `${minutes}m ${whole % 60}s`;
    },
    tone(value) {
      if (missing(value) || isZero(value)) return "";
      return isNegative(value) ? "loss" : "gain";
    },
  };
})();

window.MarketNumbers = MarketNumbers;
