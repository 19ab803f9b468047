"""Catalogue and stock-count import/export (xlsx and csv): a dry run names every wrong row and field,
and a file with one wrong row imports nothing."""

import io

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from parts import ledger
from parts.models import MovementKind, Part, StockMovement
from tests.customers.factories import ProductModelFactory
from tests.parts.factories import PartFactory, SupplierFactory

HEADERS = ["配件编号", "配件名称", "规格型号", "单位", "适用产品型号", "成本价", "市场价", "供应商代码"]


def upload(rows, *, headers=HEADERS, fmt="csv") -> SimpleUploadedFile:
    dataset = tablib.Dataset(*rows, headers=headers)
    if fmt == "csv":
        return SimpleUploadedFile("parts.csv", dataset.export("csv").encode("utf-8"), content_type="text/csv")
    return SimpleUploadedFile("parts.xlsx", dataset.export("xlsx"))


@pytest.fixture
def catalogue_data(db):
    ProductModelFactory(code="KFR-35GW")
    SupplierFactory(code="GREE-C")


@pytest.mark.django_db
class TestCatalogueImport:
    def test_one_bad_row_imports_nothing_and_names_the_row_and_the_field(
        self, client, keeper, catalogue_data
    ):
        client.force_login(keeper)
        rows = [
            ("CMP-35", "压缩机", "1.5P", "台", "KFR-35GW", "850.00", "1280.00", "GREE-C"),
            ("VLV-4W", "四通阀", "SHF-4H", "个", "KFR-35GW", "不是数字", "135.00", "GREE-C"),
            ("FAN-1", "风机", "", "台", "", "95.00", "160.00", ""),
        ]
        for confirm in (False, True):
            data = {"file": upload(rows)}
            if confirm:
                data["confirm"] = "1"
            page = client.post(reverse("parts:catalogue_import"), data).content.decode()
            assert "未导入任何数据" in page
            assert "第 2 行" in page and "成本价" in page
            assert not Part.objects.exists()

    def test_a_clean_xlsx_file_is_tried_then_imported(self, client, keeper, catalogue_data):
        client.force_login(keeper)
        rows = [("CMP-35", "压缩机", "1.5P", "台", "KFR-35GW", "850.00", "1280.00", "GREE-C")]
        page = client.post(
            reverse("parts:catalogue_import"), {"file": upload(rows, fmt="xlsx")}
        ).content.decode()
        assert "试导入通过" in page and not Part.objects.exists()
        client.post(reverse("parts:catalogue_import"), {"file": upload(rows, fmt="xlsx"), "confirm": "1"})
        part = Part.objects.get()
        assert (part.supplier.code, list(part.compatible_models.values_list("code", flat=True))) == (
            "GREE-C",
            ["KFR-35GW"],
        )

    def test_an_unknown_product_model_is_an_error_of_its_row(self, client, keeper, catalogue_data):
        client.force_login(keeper)
        rows = [("CMP-35", "压缩机", "1.5P", "台", "KFR-99", "850.00", "1280.00", "GREE-C")]
        page = client.post(reverse("parts:catalogue_import"), {"file": upload(rows)}).content.decode()
        assert "产品型号 KFR-99 不存在" in page and "第 1 行" in page

    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_the_export_reads_back_in_as_is(self, client, keeper, catalogue_data, fmt):
        """Text the export keeps from running as a formula (a leading +, -, =) comes back unchanged."""
        PartFactory(
            code="CMP-35", name="=压缩机", specification="+5V -20℃", supplier=SupplierFactory(code="GREE-C")
        )
        client.force_login(keeper)
        response = client.get(reverse("parts:catalogue_export", args=[fmt]))
        body = b"".join(response.streaming_content)
        if fmt == "csv":
            assert body.decode("utf-8-sig").splitlines()[0].startswith("配件编号,配件名称")
        data = {"file": SimpleUploadedFile(f"parts.{fmt}", body), "confirm": "1"}
        assert (
            "已导入 1 行"
            in client.post(reverse("parts:catalogue_import"), data, follow=True).content.decode()
        )
        part = Part.objects.get()
        assert (part.name, part.specification, part.supplier.code) == ("=压缩机", "+5V -20℃", "GREE-C")

    def test_only_keepers_and_admins_import(self, client, technician):
        client.force_login(technician)
        assert client.get(reverse("parts:catalogue_import")).status_code == 403


@pytest.mark.django_db
class TestCountImport:
    COUNT_HEADERS = ["仓库代码", "配件编号", "配件名称", "账面数量", "实盘数量"]

    def test_a_count_sheet_books_adjustments_only_when_every_row_is_right(
        self, client, keeper, store, part, stock
    ):
        stock(part, store, 5)
        client.force_login(keeper)
        sheet = b"".join(
            client.get(reverse("parts:counts_export", args=[store.pk, "xlsx"])).streaming_content
        )
        dataset = tablib.Dataset().load(io.BytesIO(sheet), format="xlsx")
        assert dataset.headers == self.COUNT_HEADERS and list(dataset[0])[:4] == [
            "SH-STORE",
            "CMP-35",
            "压缩机",
            5,
        ]

        bad = [("SH-STORE", "CMP-35", "压缩机", 5, 4), ("SH-STORE", "CMP-35", "压缩机", 5, -1)]
        page = client.post(
            reverse("parts:counts_import"), {"file": upload(bad, headers=self.COUNT_HEADERS), "confirm": "1"}
        ).content.decode()
        assert "第 2 行" in page and "实盘数量必须是不小于 0 的整数" in page
        assert ledger.on_hand(part, store) == 5

        good = [("SH-STORE", "CMP-35", "压缩机", 5, 4)]
        page = client.post(
            reverse("parts:counts_import"), {"file": upload(good, headers=self.COUNT_HEADERS)}
        ).content.decode()
        assert "试导入通过" in page and ledger.on_hand(part, store) == 5
        client.post(
            reverse("parts:counts_import"), {"file": upload(good, headers=self.COUNT_HEADERS), "confirm": "1"}
        )
        assert ledger.on_hand(part, store) == 4
        movement = StockMovement.objects.get(kind=MovementKind.ADJUSTMENT)
        assert movement.quantity == -1 and movement.reason == "盘点导入:parts.csv"

    def test_a_warehouse_the_keeper_does_not_manage_is_an_error(self, client, persona, branch_b, store, part):
        client.force_login(persona("warehouse", branch_b))
        rows = [("SH-STORE", "CMP-35", "压缩机", 0, 1)]
        page = client.post(
            reverse("parts:counts_import"), {"file": upload(rows, headers=self.COUNT_HEADERS)}
        ).content.decode()
        assert "仓库 SH-STORE 不存在或不由您管理" in page
