//! A checksum in the history's `varchar(64)` columns: written as its hex, read without an
//! intermediate `String` for each of thousands of rows.

use std::error::Error;

use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

use crate::plan::Checksum;

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for Checksum {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        self.to_string().as_str().to_sql(ty, out)
    }

    fn accepts(ty: &Type) -> bool {
        <&str as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Checksum {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        <&str as FromSql>::from_sql(ty, raw).map(Checksum::parse)
    }

    fn accepts(ty: &Type) -> bool {
        <&str as FromSql>::accepts(ty)
    }
}
