#include "recorder/signed_note.h"

#include "common/utf8.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "recorder/codec.h"
#include "recorder/jcs.h"

namespace sqlguard::recorder {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";  // "— " (U+2014 U+0020)
constexpr size_t kMaxSignatures = 100;                      // as Go's note.Open

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::string hex_id(uint32_t id) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", id);
  return buf;
}

common::Result<uint32_t> parse_hex_id(std::string_view text) {
  if (text.size() != 8) return common::fail(common::ErrorCode::kInvalidInput, "key ID must be 8 hex digits");
  auto bytes = hex_decode(text);
  if (!bytes) return common::fail(common::ErrorCode::kInvalidInput, "key ID must be 8 hex digits");
  uint32_t id = 0;
  for (unsigned char c : *bytes) id = id << 8 | c;
  return id;
}

common::Result<std::array<uint8_t, 32>> derive_public(const std::array<uint8_t, 32>& seed) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!key) return common::fail(common::ErrorCode::kInternal, "Ed25519: cannot load private key");
  std::array<uint8_t, 32> pub{};
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != 32)
    return common::fail(common::ErrorCode::kInternal, "Ed25519: cannot derive public key");
  return pub;
}

// Splits on the first `count` '+' characters: base64 key material may itself contain '+'.
std::vector<std::string_view> split_plus(std::string_view s, size_t count) {
  std::vector<std::string_view> parts;
  for (size_t i = 0; i < count; ++i) {
    size_t p = s.find('+');
    if (p == std::string_view::npos) break;
    parts.push_back(s.substr(0, p));
    s.remove_prefix(p + 1);
  }
  parts.push_back(s);
  return parts;
}

std::string trim_line(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return std::string(s);
}

bool valid_note_text(std::string_view text) {
  if (text.empty() || text.back() != '\n') return false;
  if (!common::valid_utf8(text)) return false;
  for (unsigned char c : text)
    if (c < 0x20 && c != '\n') return false;
  return true;
}

}  // namespace

uint32_t note_key_id(std::string_view name, uint8_t type, std::string_view public_key) {
  std::string buf(name);
  buf.push_back('\n');
  buf.push_back(static_cast<char>(type));
  buf.append(public_key);
  Hash h = sha256(buf);
  return uint32_t{h[0]} << 24 | uint32_t{h[1]} << 16 | uint32_t{h[2]} << 8 | uint32_t{h[3]};
}

bool is_valid_key_name(std::string_view name) {
  if (name.empty() || !common::valid_utf8(name)) return false;
  for (unsigned char c : name)
    if (c <= 0x20 || c == '+' || c == 0x7F) return false;
  // Unicode spaces (U+00A0, U+2000..U+200A, U+3000 ...) are rare in key names; reject the
  // common multi-byte ones explicitly.
  if (name.find("\xC2\xA0") != std::string_view::npos || name.find("\xE3\x80\x80") != std::string_view::npos)
    return false;
  return true;
}

// ---- NoteVerifier -----------------------------------------------------------------------------

common::Result<NoteVerifier> NoteVerifier::parse(std::string_view vkey) {
  std::string text = trim_line(vkey);
  auto parts = split_plus(text, 2);
  if (parts.size() != 3)
    return common::fail(common::ErrorCode::kInvalidInput, "vkey: expected <name>+<hex id>+<base64 key>");
  if (!is_valid_key_name(parts[0]))
    return common::fail(common::ErrorCode::kInvalidInput, "vkey: invalid key name");
  auto id = parse_hex_id(parts[1]);
  if (!id) return std::unexpected(common::prefixed("vkey: ", id.error()));
  auto key = base64_decode(parts[2]);
  if (!key) return std::unexpected(common::prefixed("vkey: ", key.error()));
  if (key->size() != 33 || static_cast<uint8_t>((*key)[0]) != kEd25519SignatureType)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "vkey: only Ed25519 keys (type 0x01, 32 bytes) are supported");
  NoteVerifier v;
  v.name_ = std::string(parts[0]);
  v.key_id_ = *id;
  std::memcpy(v.public_key_.data(), key->data() + 1, 32);
  if (note_key_id(v.name_, kEd25519SignatureType, key->substr(1)) != v.key_id_)
    return common::fail(common::ErrorCode::kInvalidInput, "vkey: key ID does not match the key");
  return v;
}

std::string NoteVerifier::vkey() const {
  std::string material(1, static_cast<char>(kEd25519SignatureType));
  material.append(reinterpret_cast<const char*>(public_key_.data()), public_key_.size());
  return name_ + "+" + hex_id(key_id_) + "+" + base64_encode(material);
}

std::string NoteVerifier::display() const { return name_ + "+" + hex_id(key_id_); }

bool NoteVerifier::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != 64) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key_.data(), public_key_.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!key || !ctx) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

// ---- NoteSigner -------------------------------------------------------------------------------

common::Result<NoteSigner> NoteSigner::from_seed(std::string_view name, std::string_view seed) {
  if (!is_valid_key_name(name))
    return common::fail(common::ErrorCode::kInvalidInput,
                        "key name must be non-empty, without spaces or '+'");
  if (seed.size() != 32)
    return common::fail(common::ErrorCode::kInvalidInput, "Ed25519 seed must be 32 bytes");
  NoteSigner s;
  s.name_ = std::string(name);
  std::memcpy(s.seed_.data(), seed.data(), 32);
  auto pub = derive_public(s.seed_);
  if (!pub) return std::unexpected(pub.error());
  s.public_key_ = *pub;
  s.key_id_ = note_key_id(s.name_, kEd25519SignatureType,
                          std::string_view(reinterpret_cast<const char*>(pub->data()), pub->size()));
  return s;
}

common::Result<NoteSigner> NoteSigner::parse(std::string_view skey) {
  std::string text = trim_line(skey);
  auto parts = split_plus(text, 4);
  if (parts.size() != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY")
    return common::fail(common::ErrorCode::kInvalidInput,
                        "skey: expected PRIVATE+KEY+<name>+<hex id>+<base64 key>");
  auto id = parse_hex_id(parts[3]);
  if (!id) return std::unexpected(common::prefixed("skey: ", id.error()));
  auto key = base64_decode(parts[4]);
  if (!key) return std::unexpected(common::prefixed("skey: ", key.error()));
  if (key->size() != 33 || static_cast<uint8_t>((*key)[0]) != kEd25519SignatureType)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "skey: only Ed25519 keys (type 0x01, 32-byte seed) are supported");
  auto signer = from_seed(parts[2], key->substr(1));
  if (!signer) return std::unexpected(common::prefixed("skey: ", signer.error()));
  if (signer->key_id_ != *id)
    return common::fail(common::ErrorCode::kInvalidInput, "skey: key ID does not match the key");
  return signer;
}

common::Result<NoteSigner> NoteSigner::generate(std::string_view name) {
  std::array<uint8_t, 32> seed{};
  if (RAND_priv_bytes(seed.data(), static_cast<int>(seed.size())) != 1)
    return common::fail(common::ErrorCode::kInternal, "keygen: the random number generator failed");
  auto s = from_seed(name, std::string_view(reinterpret_cast<const char*>(seed.data()), seed.size()));
  OPENSSL_cleanse(seed.data(), seed.size());
  return s;
}

std::string NoteSigner::skey() const {
  std::string material(1, static_cast<char>(kEd25519SignatureType));
  material.append(reinterpret_cast<const char*>(seed_.data()), seed_.size());
  return "PRIVATE+KEY+" + name_ + "+" + hex_id(key_id_) + "+" + base64_encode(material);
}

NoteVerifier NoteSigner::verifier() const {
  NoteVerifier v;
  v.name_ = name_;
  v.key_id_ = key_id_;
  v.public_key_ = public_key_;
  return v;
}

common::Result<std::string> NoteSigner::sign(std::string_view message) const {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(), seed_.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!key || !ctx)
    return common::fail(common::ErrorCode::kInternal, "Ed25519: cannot create signing context");
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    return common::fail(common::ErrorCode::kInternal, "Ed25519: sign init failed");
  std::string sig(64, '\0');
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != 64)
    return common::fail(common::ErrorCode::kInternal, "Ed25519: signing failed");
  return sig;
}

// ---- notes ------------------------------------------------------------------------------------

common::Result<std::string> sign_note(std::string_view text, const std::vector<const NoteSigner*>& signers) {
  if (!valid_note_text(text))
    return common::fail(common::ErrorCode::kInvalidInput,
                        "note: text must be UTF-8 ending in a newline, without control characters");
  if (text.find("\n\n") != std::string_view::npos)
    return common::fail(common::ErrorCode::kInvalidInput, "note: text must not contain an empty line");
  std::string note(text);
  note.push_back('\n');
  for (const NoteSigner* s : signers) {
    auto sig = s->sign(text);
    if (!sig) return std::unexpected(sig.error());
    std::string blob(4, '\0');
    uint32_t id = s->key_id();
    for (int i = 0; i < 4; ++i) blob[static_cast<size_t>(i)] = static_cast<char>(id >> (24 - 8 * i));
    blob += *sig;
    note += std::string(kEmDashSpace) + s->name() + " " + base64_encode(blob) + "\n";
  }
  return note;
}

common::Result<ParsedNote> parse_note(std::string_view note) {
  if (!common::valid_utf8(note))
    return common::fail(common::ErrorCode::kInvalidInput, "note: not valid UTF-8");
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos)
    return common::fail(common::ErrorCode::kInvalidInput, "note: no signature block (missing empty line)");
  ParsedNote out;
  out.text = std::string(note.substr(0, split + 1));
  if (!valid_note_text(out.text))
    return common::fail(common::ErrorCode::kInvalidInput, "note: text contains control characters");
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n')
    return common::fail(common::ErrorCode::kInvalidInput, "note: signature block must end in a newline");
  while (!sigs.empty()) {
    size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (line.substr(0, kEmDashSpace.size()) != kEmDashSpace)
      return common::fail(common::ErrorCode::kInvalidInput,
                          "note: signature line does not start with an em dash");
    line.remove_prefix(kEmDashSpace.size());
    size_t sp = line.rfind(' ');
    if (sp == std::string_view::npos)
      return common::fail(common::ErrorCode::kInvalidInput, "note: malformed signature line");
    std::string_view name = line.substr(0, sp);
    if (!is_valid_key_name(name))
      return common::fail(common::ErrorCode::kInvalidInput, "note: invalid key name in signature line");
    auto blob = base64_decode(line.substr(sp + 1));
    if (!blob || blob->size() < 5)
      return common::fail(common::ErrorCode::kInvalidInput, "note: malformed signature");
    NoteSignature sig;
    sig.name = std::string(name);
    for (int i = 0; i < 4; ++i)
      sig.key_id = sig.key_id << 8 | static_cast<uint8_t>((*blob)[static_cast<size_t>(i)]);
    sig.signature = blob->substr(4);
    out.signatures.push_back(std::move(sig));
    if (out.signatures.size() > kMaxSignatures)
      return common::fail(common::ErrorCode::kInvalidInput, "note: too many signatures");
  }
  return out;
}

common::Result<OpenedNote> open_note(std::string_view note, const std::vector<NoteVerifier>& known) {
  auto parsed = parse_note(note);
  if (!parsed) return std::unexpected(parsed.error());
  OpenedNote out;
  out.text = parsed->text;
  for (const auto& sig : parsed->signatures) {
    const NoteVerifier* match = nullptr;
    for (const auto& v : known)
      if (v.name() == sig.name && v.key_id() == sig.key_id) match = &v;
    if (match == nullptr) {
      ++out.unknown_signatures;
      continue;
    }
    if (!match->verify(out.text, sig.signature))
      return common::fail(common::ErrorCode::kInvalidInput, "note: invalid signature by " + match->display() +
                                                                " (the note was altered or forged)");
    out.verified_by.push_back(match->display());
  }
  if (out.verified_by.empty())
    return common::fail(common::ErrorCode::kInvalidInput, "note: no signature by a trusted key");
  return out;
}

}  // namespace sqlguard::recorder
