#include "recorder/codec.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>

namespace sqlguard::recorder {
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

Hash digest(const uint8_t* prefix, std::string_view data) {
  Hash out{};
  EVP_MD_CTX* ctx = thread_ctx();
  unsigned int len = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, sha256_md(), nullptr) != 1 ||
      (prefix != nullptr && EVP_DigestUpdate(ctx, prefix, 1) != 1) ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size()) {
    // Only on allocation failure inside OpenSSL: a programmer/environment error, not input.
    std::abort();
  }
  return out;
}

}  // namespace

Hash sha256(std::string_view data) { return digest(nullptr, data); }

Hash sha256_prefixed(uint8_t prefix, std::string_view data) { return digest(&prefix, data); }

std::string_view as_bytes(const Hash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::expected<std::string, std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::unexpected("base64: length is not a multiple of 4");
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::unexpected("base64: invalid character");
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = (text.size() >= 2 && text[text.size() - 2] == '=') ? 2 : 1;
  out.resize(static_cast<size_t>(n) - pad);
  // EVP_DecodeBlock is lenient (whitespace, non-zero trailing bits); require the canonical form.
  if (base64_encode(out) != text) return std::unexpected("base64: not in canonical form");
  return out;
}

std::expected<Hash, std::string> hash_from_base64(std::string_view text) {
  auto bytes = base64_decode(text);
  if (!bytes) return std::unexpected(bytes.error());
  if (bytes->size() != 32) return std::unexpected("hash: expected 32 bytes");
  Hash h{};
  std::memcpy(h.data(), bytes->data(), 32);
  return h;
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

std::expected<std::string, std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::unexpected("hex: odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return std::unexpected("hex: invalid character");
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace sqlguard::recorder
