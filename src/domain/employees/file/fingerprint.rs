//! What tells that a file read twice gave the same bytes both times: the first pass hashes the
//! bytes block by block as the CSV reader pulls them, and the second pass reads each block
//! whole and compares its hash before any of it is parsed. A file changed between the passes
//! (an HR export rewritten in place, a file still growing) is refused before one row of the
//! change reaches the sync, and a file that ends sooner or later than it did is refused too.
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read};

/// Bytes per hashed block: what the second pass holds ahead of the CSV reader.
const BLOCK: usize = 256 * 1024;

/// The hash of each block of a file, the last one partial (possibly empty), under a key chosen
/// for this file: a file cannot be made to match another's fingerprint on purpose. A few
/// hundred numbers for a file of 100 MB, so a reader of it takes a copy.
#[derive(Clone)]
pub struct Fingerprint {
    key: RandomState,
    blocks: Vec<u64>,
}

/// A reader that fingerprints the bytes it passes on.
pub(super) struct Fingerprinting<R> {
    inner: R,
    key: RandomState,
    hasher: std::hash::DefaultHasher,
    in_block: usize,
    blocks: Vec<u64>,
}

impl<R> Fingerprinting<R> {
    pub(super) fn new(inner: R) -> Self {
        let key = RandomState::new();
        Self {
            hasher: key.build_hasher(),
            key,
            inner,
            in_block: 0,
            blocks: Vec::new(),
        }
    }

    /// The fingerprint of every byte read.
    pub(super) fn finish(mut self) -> Fingerprint {
        self.blocks.push(self.hasher.finish());
        Fingerprint {
            key: self.key,
            blocks: self.blocks,
        }
    }
}

impl<R: Read> Read for Fingerprinting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut bytes = &buf[..n];
        while !bytes.is_empty() {
            let take = (BLOCK - self.in_block).min(bytes.len());
            self.hasher.write(&bytes[..take]);
            self.in_block += take;
            bytes = &bytes[take..];
            if self.in_block == BLOCK {
                self.blocks.push(self.hasher.finish());
                self.hasher = self.key.build_hasher();
                self.in_block = 0;
            }
        }
        Ok(n)
    }
}

/// The message of the error a [`Verified`] reader fails with.
pub const CHANGED: &str = "the file changed while it was read";

/// A reader that passes on only bytes matching a fingerprint, a whole block at a time.
pub struct Verified<R> {
    inner: R,
    fingerprint: Fingerprint,
    block: Vec<u8>,
    /// What of `block` was passed on.
    at: usize,
    /// Blocks read whole and checked.
    checked: usize,
}

impl<R> Verified<R> {
    pub fn new(inner: R, fingerprint: Fingerprint) -> Self {
        Self {
            inner,
            fingerprint,
            block: Vec::new(),
            at: 0,
            checked: 0,
        }
    }
}

impl<R: Read> Verified<R> {
    /// Reads and checks the next block; `false` past the file's last block.
    fn next_block(&mut self) -> io::Result<bool> {
        let Some(expected) = self.fingerprint.blocks.get(self.checked) else {
            return Ok(false);
        };
        self.block.resize(BLOCK, 0);
        let mut filled = 0;
        while filled < BLOCK {
            match self.inner.read(&mut self.block[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.block.truncate(filled);
        let mut hasher = self.fingerprint.key.build_hasher();
        hasher.write(&self.block);
        let last = self.checked + 1 == self.fingerprint.blocks.len();
        // A block shorter than a whole one ends the file: it must be the last one, and the
        // last one must end the file.
        if hasher.finish() != *expected || (filled < BLOCK) != last {
            return Err(io::Error::new(io::ErrorKind::InvalidData, CHANGED));
        }
        self.checked += 1;
        self.at = 0;
        Ok(true)
    }
}

impl<R: Read> Read for Verified<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.block.len() {
            if !self.next_block()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.block.len() - self.at);
        buf[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint(bytes: &[u8]) -> Fingerprint {
        let mut reader = Fingerprinting::new(bytes);
        // Pulled in uneven pieces, as the CSV reader does.
        let mut buf = [0u8; 7919];
        while reader.read(&mut buf).unwrap() > 0 {}
        reader.finish()
    }

    fn read_again(bytes: &[u8], fingerprint: &Fingerprint) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Verified::new(bytes, fingerprint.clone()).read_to_end(&mut out)?;
        Ok(out)
    }

    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn the_same_bytes_read_again_pass_whatever_their_length() {
        for len in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK] {
            let file = bytes(len);
            let fingerprint = fingerprint(&file);
            assert_eq!(read_again(&file, &fingerprint).unwrap(), file, "{len}");
        }
    }

    #[test]
    fn a_changed_shorter_or_longer_file_fails() {
        for len in [10, BLOCK, 2 * BLOCK + 5] {
            let file = bytes(len);
            let fingerprint = fingerprint(&file);
            let mut changed = file.clone();
            changed[len - 1] ^= 1;
            let shorter = &file[..len - 1];
            let mut longer = file.clone();
            longer.push(b'\n');
            for other in [&changed[..], shorter, &longer[..]] {
                let err = read_again(other, &fingerprint).unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{len}");
                assert_eq!(err.to_string(), CHANGED);
            }
        }
    }

    #[test]
    fn a_change_is_caught_before_any_byte_of_its_block_is_passed_on() {
        let file = bytes(2 * BLOCK);
        let fingerprint = fingerprint(&file);
        let mut changed = file.clone();
        changed[BLOCK + 1] ^= 1;
        let mut reader = Verified::new(&changed[..], fingerprint);
        let mut first = vec![0u8; BLOCK];
        reader.read_exact(&mut first).unwrap();
        assert_eq!(first, file[..BLOCK]);
        let mut next = [0u8; 1];
        assert!(reader.read(&mut next).is_err());
    }
}
