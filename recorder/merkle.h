// RFC 6962 / RFC 9162 Merkle tree hashing: leaf and node hashes, roots, inclusion and
// consistency proofs (generation and verification), and an incremental compact range for the
// writer so the root of a growing log costs O(log n).
//
// leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), empty tree = SHA-256("").
//
// Thread-safety: free functions are pure. CompactRange is a value type; not synchronized.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "recorder/codec.h"

namespace sqlguard::recorder {

/// RFC 6962 §2.1 leaf hash: SHA-256(0x00 || data).
Hash leaf_hash(std::string_view data);

/// RFC 6962 §2.1 interior node hash: SHA-256(0x01 || left || right).
Hash node_hash(const Hash& left, const Hash& right);

/// SHA-256 of the empty string: the root of the empty tree.
Hash empty_root();

/// RFC 6962 §2.1 Merkle Tree Hash over already-hashed leaves. O(n).
Hash merkle_root(std::span<const Hash> leaf_hashes);

/// RFC 6962 §2.1.1 audit path for leaf `index` in the tree of all `leaf_hashes`.
/// Errors: kInvalidInput (index out of range).
common::Result<std::vector<Hash>> inclusion_proof(uint64_t index, std::span<const Hash> leaf_hashes);

/// RFC 6962 §2.1.2 consistency proof from the first `old_size` leaves to all `leaf_hashes`.
/// Errors: kInvalidInput (old_size is 0 or larger than the tree).
common::Result<std::vector<Hash>> consistency_proof(uint64_t old_size, std::span<const Hash> leaf_hashes);

/// RFC 9162 §2.1.3.2: checks that `leaf` is at `index` in the tree of `size` with `root`.
/// Errors: kInvalidInput, the message saying why the proof does not verify.
common::Result<void> verify_inclusion(uint64_t index, uint64_t size, const Hash& leaf,
                                      std::span<const Hash> proof, const Hash& root);

/// RFC 9162 §2.1.4.2: checks that the tree (`old_size`, `old_root`) is a prefix of
/// (`new_size`, `new_root`). Equal sizes need an empty proof and equal roots; old_size 0 is
/// always consistent. Errors: kInvalidInput, the message saying why.
common::Result<void> verify_consistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                                        const Hash& new_root, std::span<const Hash> proof);

/// The compact range [0, size): one subtree root per set bit of size (at most 64 hashes).
/// Appending a leaf and computing the root are O(log n); this is what the writer keeps.
class CompactRange {
 public:
  /// Adds the next leaf hash.
  void append(const Hash& leaf);
  /// RFC 6962 root of the leaves appended so far (empty_root() for none).
  Hash root() const;
  /// Number of leaves appended.
  uint64_t size() const { return size_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> stack_;  ///< subtree roots, largest (leftmost) first
};

}  // namespace sqlguard::recorder
