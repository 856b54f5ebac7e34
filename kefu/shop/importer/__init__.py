"""CSV export of the shop and an all-or-nothing importer of a shop's own CSV exports.

Files (UTF-8, header row, one row per record; orders have one row per order line, the
order's own columns repeated on each of its lines, as shop platforms export them):

- products: id, name_zh, name_en, category, brand, price, stock [, description_zh,
  description_en, image, url]
- customers: id, name, email, phone, language (zh/en), city, signup_date
- orders: order_id, customer_id, status, ordered_at [, shipped_at, delivered_at,
  expected_delivery, carrier, tracking_number, shipping_address], line_no, product_id,
  quantity, unit_price
- reviews: id, customer_id, product_id, rating (1-5), text, language (zh/en), created_at

The importer checks every row before writing anything: a bad value, a duplicate id, an
unknown customer or product is reported as ``file:line: what is wrong`` and nothing is
written. Valid files are written in one transaction.

Modules by role: ``columns`` (the files' columns and how each cell is parsed), ``read``
(decoding and parsing the rows of one file), ``validate`` (checks across rows, files and
the database), ``write`` (the importer: one transaction) and ``export``.
"""

from kefu.shop.importer.export import export_csv
from kefu.shop.importer.read import ShopImportError
from kefu.shop.importer.write import import_csv

__all__ = ["ShopImportError", "export_csv", "import_csv"]
