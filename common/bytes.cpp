#include "common/bytes.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace sqlguard::common {
namespace {

// Fetched once: implicit fetching on every EVP_Digest call costs more than hashing a record.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* thread_ctx() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx{EVP_MD_CTX_new()};
  return ctx.get();
}

Sha256Digest digest(const uint8_t* prefix, std::string_view data) {
  Sha256Digest out{};
  EVP_MD_CTX* ctx = thread_ctx();
  unsigned int len = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, sha256_md(), nullptr) != 1 ||
      (prefix != nullptr && EVP_DigestUpdate(ctx, prefix, 1) != 1) ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size()) {
    // Only on allocation failure inside OpenSSL: an environment error, never input-dependent.
    // Returning a fixed digest would let unrelated inputs compare equal, so stop.
    std::abort();
  }
  return out;
}

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

Sha256Digest sha256(std::string_view data) { return digest(nullptr, data); }

Sha256Digest sha256_prefixed(uint8_t prefix, std::string_view data) { return digest(&prefix, data); }

std::string_view as_bytes(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n < 0 ? 0 : n));
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return fail(ErrorCode::kInvalidInput, "base64: length is not a multiple of 4");
  std::string out(text.size() / 4 * 3, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return fail(ErrorCode::kInvalidInput, "base64: invalid character");
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = (text.size() >= 2 && text[text.size() - 2] == '=') ? 2 : 1;
  out.resize(static_cast<size_t>(n) - pad);
  // EVP_DecodeBlock is lenient (whitespace, non-zero trailing bits); require the canonical form.
  if (base64_encode(out) != text) return fail(ErrorCode::kInvalidInput, "base64: not in canonical form");
  return out;
}

std::string base64url_encode(std::string_view data) {
  std::string out = base64_encode(data);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);  // tolerate padding
  const size_t rem = text.size() % 4;
  if (rem == 1) return std::nullopt;
  std::string std_b64;
  std_b64.reserve(text.size() + 3);
  for (char c : text) {
    if (base64url_value(c) < 0) return std::nullopt;
    std_b64 += c == '-' ? '+' : c == '_' ? '/' : c;
  }
  // Canonical form: the unused low bits of the last character must be zero.
  if (rem == 2 && (base64url_value(text.back()) & 0x0f) != 0) return std::nullopt;
  if (rem == 3 && (base64url_value(text.back()) & 0x03) != 0) return std::nullopt;
  const size_t pad = rem == 0 ? 0 : 4 - rem;
  std_b64.append(pad, '=');
  if (std_b64.empty()) return std::string();
  std::string out(std_b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(std_b64.data()),
                                static_cast<int>(std_b64.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - pad);  // EVP_DecodeBlock counts the bytes of "=" padding as zeros
  return out;
}

std::string hex_encode(std::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

Result<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return fail(ErrorCode::kInvalidInput, "hex: odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = nibble(text[i]);
    const int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return fail(ErrorCode::kInvalidInput, "hex: invalid character");
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace sqlguard::common
