#include "policy/maskers.h"

#include "common/bytes.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <utility>

namespace sqlguard::policy {

std::string_view to_string(MaskingMethod method) {
  switch (method) {
    case MaskingMethod::kRedact: return "redact";
    case MaskingMethod::kPartial: return "partial";
    case MaskingMethod::kEmail: return "email";
    case MaskingMethod::kHash: return "hash";
    case MaskingMethod::kNull: return "null";
    case MaskingMethod::kFixed: return "fixed";
  }
  return "redact";
}

std::optional<MaskingMethod> masking_method_from_string(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, MaskingMethod>, 6> kNames{{
      {"redact", MaskingMethod::kRedact},
      {"partial", MaskingMethod::kPartial},
      {"email", MaskingMethod::kEmail},
      {"hash", MaskingMethod::kHash},
      {"null", MaskingMethod::kNull},
      {"fixed", MaskingMethod::kFixed},
  }};
  for (const auto& [n, m] : kNames) {
    if (n == name) return m;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// KeyedHasher

struct KeyedHasher::State {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* prepared = nullptr;  // initialised with the key; only ever duplicated
  ~State() {
    EVP_MAC_CTX_free(prepared);
    EVP_MAC_free(mac);
  }
};

KeyedHasher::KeyedHasher(std::unique_ptr<State> state) : state_(std::move(state)) {}
KeyedHasher::~KeyedHasher() = default;

common::Result<std::unique_ptr<KeyedHasher>> KeyedHasher::create(std::string_view key) {
  if (key.empty()) return common::fail(common::ErrorCode::kInvalidInput, "the masking hash key is empty");
  auto state = std::make_unique<State>();
  state->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (state->mac == nullptr)
    return common::fail(common::ErrorCode::kInternal, "OpenSSL has no HMAC implementation");
  state->prepared = EVP_MAC_CTX_new(state->mac);
  if (state->prepared == nullptr)
    return common::fail(common::ErrorCode::kInternal, "OpenSSL EVP_MAC_CTX_new failed");
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(state->prepared, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) !=
      1) {
    return common::fail(common::ErrorCode::kInternal, "OpenSSL could not initialise HMAC-SHA256");
  }
  return std::unique_ptr<KeyedHasher>(new KeyedHasher(std::move(state)));
}

std::string KeyedHasher::hex_digest(std::string_view data) const {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(state_->prepared);
  if (ctx == nullptr) return {};
  std::array<unsigned char, 32> out{};
  std::size_t out_len = 0;
  const bool ok =
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
      EVP_MAC_final(ctx, out.data(), &out_len, out.size()) == 1 && out_len == out.size();
  EVP_MAC_CTX_free(ctx);
  if (!ok) return {};
  return common::hex_encode(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
}

// ---------------------------------------------------------------------------------------------
// Masker

namespace {

// Byte offsets of the starts of UTF-8 code points in `s` (continuation bytes 10xxxxxx are not
// starts). Invalid sequences count one code point per byte, which is the safe direction: more
// characters are hidden, never fewer.
std::size_t count_code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string partial(std::string_view s, uint32_t keep_first, uint32_t keep_last) {
  const std::size_t n = count_code_points(s);
  if (n <= static_cast<std::size_t>(keep_first) + keep_last) return std::string(n, '*');
  std::string out;
  out.reserve(s.size());
  std::size_t index = 0;  // code point index of the current byte's character
  bool started = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool start = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (start) {
      if (started) ++index;
      started = true;
    }
    const bool keep = index < keep_first || index >= n - keep_last;
    if (keep) {
      out.push_back(s[i]);
    } else if (start) {
      out.push_back('*');
    }
  }
  return out;
}

std::string email(std::string_view s) {
  const std::size_t at = s.rfind('@');
  if (at == std::string_view::npos || at == 0) return "***";
  // First character of the local part (whole code point), then the domain.
  std::size_t first_len = 1;
  while (first_len < at && (static_cast<unsigned char>(s[first_len]) & 0xC0) == 0x80) ++first_len;
  std::string out(s.substr(0, first_len));
  out += "***";
  out += s.substr(at);
  return out;
}

}  // namespace

Masker::Masker(MaskerOptions options, const KeyedHasher* hasher)
    : options_(std::move(options)), hasher_(hasher) {}

std::string Masker::mask_text(std::string_view text, bool binary, bool* ok) const {
  switch (options_.method) {
    case MaskingMethod::kRedact: return options_.token;
    case MaskingMethod::kFixed: return options_.value;
    case MaskingMethod::kNull: return {};
    case MaskingMethod::kPartial:
      return binary ? partial(common::hex_encode(text), options_.keep_first, options_.keep_last)
                    : partial(text, options_.keep_first, options_.keep_last);
    case MaskingMethod::kEmail: return binary ? std::string("***") : email(text);
    case MaskingMethod::kHash: {
      std::string digest = hasher_ != nullptr ? hasher_->hex_digest(text) : std::string();
      if (digest.empty()) {
        if (ok != nullptr) *ok = false;
        return options_.token;
      }
      digest.resize(std::min<std::size_t>(digest.size(), options_.hash_length));
      return digest;
    }
  }
  if (ok != nullptr) *ok = false;
  return options_.token;
}

common::Cell Masker::mask(const common::Cell& cell, bool binary, bool* ok) const {
  if (!cell.has_value()) return std::nullopt;
  if (options_.method == MaskingMethod::kNull) return std::nullopt;
  return mask_text(*cell, binary, ok);
}

}  // namespace sqlguard::policy
