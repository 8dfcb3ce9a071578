import { describe, expect, it } from "vitest";
import { failureFromNetworkError, ImportFailure } from "../src/index.js";

function codeError(code: string, message = `socket problem ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

describe("failureFromNetworkError", () => {
  it("an aborted signal makes any error a timeout", () => {
    const controller = new AbortController();
    controller.abort();
    const err = codeError("ECONNRESET");
    const failure = failureFromNetworkError(err, 'GET document "a"', controller.signal);
    expect(failure.kind).toBe("timeout");
    expect(failure.retryable).toBe(true);
    expect(failure.stage).toBe("fetch");
    expect(failure.cause).toBe(err);
    expect(failure.message).toBe('GET document "a": aborted after the attempt\'s timeout');
  });

  it("an AbortError / TimeoutError / UND_ERR_ABORTED is a timeout even without the signal", () => {
    const abort = new Error("This operation was aborted");
    abort.name = "AbortError";
    const timeout = new Error("The operation was aborted due to timeout");
    timeout.name = "TimeoutError";
    for (const err of [abort, timeout, codeError("UND_ERR_ABORTED")]) {
      expect(failureFromNetworkError(err, "ctx").kind).toBe("timeout");
    }
  });

  it("ECONNRESET is a network failure naming the code", () => {
    const err = codeError("ECONNRESET", "read ECONNRESET");
    const failure = failureFromNetworkError(err, "ctx", new AbortController().signal);
    expect(failure.kind).toBe("network");
    expect(failure.retryable).toBe(true);
    expect(failure.stage).toBe("fetch");
    expect(failure.message).toBe("ctx: read ECONNRESET (ECONNRESET)");
    expect(failure.cause).toBe(err);
  });

  it.each([
    ["UND_ERR_HEADERS_TIMEOUT", "no response headers"],
    ["UND_ERR_BODY_TIMEOUT", "no byte of the body"],
  ])("%s is a timeout that names FETCH_IDLE_TIMEOUT_MS", (code, what) => {
    const failure = failureFromNetworkError(codeError(code, "Headers Timeout Error"), "ctx");
    expect(failure.kind).toBe("timeout");
    expect(failure.stage).toBe("fetch");
    expect(failure.message).toBe(`ctx: ${what} for FETCH_IDLE_TIMEOUT_MS; the request was aborted (${code})`);
  });

  it("UND_ERR_CONNECT_TIMEOUT is a timeout", () => {
    const failure = failureFromNetworkError(codeError("UND_ERR_CONNECT_TIMEOUT", "Connect Timeout Error"), "ctx");
    expect(failure.kind).toBe("timeout");
    expect(failure.message).toBe("ctx: Connect Timeout Error (UND_ERR_CONNECT_TIMEOUT)");
  });

  it("ECONNREFUSED and code-less errors are network failures", () => {
    expect(failureFromNetworkError(codeError("ECONNREFUSED"), "ctx").kind).toBe("network");
    const plain = failureFromNetworkError("other side hung up", "ctx");
    expect(plain.kind).toBe("network");
    expect(plain.message).toBe("ctx: other side hung up");
  });

  it("an ImportFailure passes through untouched", () => {
    const original = new ImportFailure("too_large", "big", { stage: "fetch" });
    const controller = new AbortController();
    controller.abort();
    expect(failureFromNetworkError(original, "ctx", controller.signal)).toBe(original);
  });
});
