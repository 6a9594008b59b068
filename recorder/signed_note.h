// C2SP signed notes (c2sp.org/signed-note, v1.0.0) with Ed25519 signatures (RFC 8032) via
// OpenSSL 3 EVP, plus the Go-compatible verifier/signer key text formats:
//
//   vkey: <name>+<8 hex key ID>+<base64(0x01 || 32-byte public key)>
//   skey: PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x01 || 32-byte seed)>
//
// key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian.
// A note is: text (ending in '\n'), an empty line, then lines "— <name> <base64(id || sig)>\n".
//
// Thread-safety: NoteSigner and NoteVerifier are immutable after construction; their const
// methods may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace sqlguard::recorder {

/// Signature type byte of Ed25519 note keys (signed-note §Signature types).
inline constexpr uint8_t kEd25519SignatureType = 0x01;

/// Computes the C2SP key ID: SHA-256(name || "\n" || type || public_key)[:4] as a big-endian
/// integer.
uint32_t note_key_id(std::string_view name, uint8_t type, std::string_view public_key);

/// A verifier for one (name, key ID) pair: an Ed25519 public key.
class NoteVerifier {
 public:
  /// Parses a vkey "<name>+<hex id>+<base64(0x01||pub)>". Errors: kInvalidInput when
  /// malformed, of an unknown signature type, or with a key ID that does not match the key.
  static common::Result<NoteVerifier> parse(std::string_view vkey);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  /// The vkey text (round-trips parse()).
  std::string vkey() const;
  /// "<name>+<8 hex id>", how reports name a key.
  std::string display() const;
  /// RFC 8032 Ed25519 verification of `signature` (64 bytes) over `message`.
  bool verify(std::string_view message, std::string_view signature) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  std::array<uint8_t, 32> public_key_{};
  friend class NoteSigner;
};

/// A signer: an Ed25519 private key (seed) with its key name.
class NoteSigner {
 public:
  /// Parses a skey "PRIVATE+KEY+<name>+<hex id>+<base64(0x01||seed)>". Errors: kInvalidInput when
  /// malformed or the key ID does not match the derived public key; kInternal when OpenSSL fails.
  static common::Result<NoteSigner> parse(std::string_view skey);
  /// Builds a signer from a 32-byte RFC 8032 seed. Errors: kInvalidInput for an invalid name or
  /// seed length; kInternal when OpenSSL fails.
  static common::Result<NoteSigner> from_seed(std::string_view name, std::string_view seed);
  /// Generates a fresh key pair from the OpenSSL CSPRNG. Errors: kInvalidInput for an invalid
  /// name; kInternal when the CSPRNG or OpenSSL fails.
  static common::Result<NoteSigner> generate(std::string_view name);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  /// The skey text (secret!).
  std::string skey() const;
  /// The matching verifier.
  NoteVerifier verifier() const;
  /// RFC 8032 Ed25519 signature (64 bytes) of `message`. Errors: kInternal (OpenSSL failure).
  common::Result<std::string> sign(std::string_view message) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  std::array<uint8_t, 32> seed_{};
  std::array<uint8_t, 32> public_key_{};
};

/// true if `name` is a valid note key name: non-empty, no whitespace, no '+', valid UTF-8.
bool is_valid_key_name(std::string_view name);

/// Signs `text` (UTF-8, ending in '\n', no empty line, no control characters; signed-note
/// §Format) and returns the full note:
/// text, "\n", one signature line per signer. Errors: kInvalidInput for invalid text; kInternal
/// when signing fails.
common::Result<std::string> sign_note(std::string_view text, const std::vector<const NoteSigner*>& signers);

/// One signature line of a note.
struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string signature;  ///< raw signature bytes (64 for Ed25519)
};

/// A parsed note before signature checks.
struct ParsedNote {
  std::string text;                       ///< the signed text, ending in '\n'
  std::vector<NoteSignature> signatures;  ///< in note order
};

/// Splits a note at its last "\n\n" and parses the signature lines. Errors: kInvalidInput (malformed
/// note).
common::Result<ParsedNote> parse_note(std::string_view note);

/// Result of opening a note with a set of known verifiers.
struct OpenedNote {
  std::string text;
  std::vector<std::string> verified_by;  ///< display() of each known key whose signature verified
  size_t unknown_signatures = 0;         ///< lines from keys not in the known set (ignored)
};

/// Opens a note per signed-note §Verifying: signatures of unknown keys are ignored, a known key
/// whose signature fails rejects the note, and at least one known key must verify.
/// Errors: kInvalidInput for a malformed note, a bad signature from a known key, or no trusted
/// signature.
common::Result<OpenedNote> open_note(std::string_view note, const std::vector<NoteVerifier>& known);

}  // namespace sqlguard::recorder
