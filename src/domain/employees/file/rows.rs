//! The second pass over an employee file: the accepted rows again, a batch at a time, as
//! small [`Employees`] tables with their manager flags from the first pass. Only the bytes the
//! first pass read are parsed (see [`super::fingerprint`]), so every record accepted then is
//! accepted now, at the same line, and nothing needs checking twice.
use std::io::Read;

use super::fingerprint::Verified;
use super::index::{Bits, Selection};
use super::records::{Columns, Records};
use super::row::{self, status};
use super::{FileRejection, rejection};
use crate::domain::employees::table::Employees;

/// The accepted employees of a file read again.
pub struct Rows<R> {
    records: Records<Verified<R>>,
    columns: Columns,
    accepted: Bits,
    managers: Bits,
    /// Records read (blank ones not counted).
    records_read: u64,
    /// Employees read.
    employees_read: u64,
}

/// Opens the file indexed into `selection` for its second pass.
pub fn read_again<R: Read>(reader: R, selection: Selection) -> Result<Rows<R>, FileRejection> {
    let Selection {
        accepted,
        managers,
        fingerprint,
    } = selection;
    let (records, columns) = Records::open(Verified::new(reader, fingerprint))?;
    Ok(Rows {
        records,
        columns,
        accepted,
        managers,
        records_read: 0,
        employees_read: 0,
    })
}

impl<R: Read> Rows<R> {
    /// The next (at most) `size` employees in file order; `None` once the file is read to its
    /// end and found the same as the first time.
    pub fn next_batch(&mut self, size: usize) -> Result<Option<Employees>, FileRejection> {
        let mut batch = Employees::new(self.columns.extra_names());
        while batch.len() < size {
            let Some((record, line)) = self.records.next()? else {
                break;
            };
            let ordinal = self.records_read;
            self.records_read += 1;
            if !self.accepted.get(ordinal) {
                continue;
            }
            // Accepted the first time, so its status reads.
            let status = status(&self.columns, record).map_err(|message| {
                rejection(format!(
                    "line {line}: a row accepted when the file was indexed reads differently: \
                     {message}"
                ))
            })?;
            let is_manager = self.managers.get(self.employees_read);
            self.employees_read += 1;
            row::push(&mut batch, &self.columns, record, line, status, is_manager)?;
        }
        Ok((!batch.is_empty()).then_some(batch))
    }
}
