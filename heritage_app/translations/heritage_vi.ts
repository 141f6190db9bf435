<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="vi_VN">
<context>
    <name>AddTermDialog</name>
    <message>
        <source>Add to a vocabulary</source>
        <translation>Thêm vào danh mục từ vựng</translation>
    </message>
    <message>
        <source>“{value}” is not in the list of {vocabulary} yet. Add it for every item?</source>
        <translation>“{value}” chưa có trong danh mục {vocabulary}. Thêm để dùng cho mọi hiện vật?</translation>
    </message>
    <message>
        <source>for example: bronze</source>
        <translation>ví dụ: bronze</translation>
    </message>
    <message>
        <source>Value (Vietnamese)</source>
        <translation>Giá trị (tiếng Việt)</translation>
    </message>
    <message>
        <source>English label</source>
        <translation>Nhãn tiếng Anh</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Thêm</translation>
    </message>
</context>
<context>
    <name>AssetEditorDialog</name>
    <message>
        <source>Scan {file}</source>
        <translation>Bản quét {file}</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>không rõ</translation>
    </message>
    <message>
        <source>The stored file is not changed: measurements, dimensions and exports use these values.</source>
        <translation>Tệp lưu trữ không bị thay đổi: phép đo, kích thước và bản xuất dùng các giá trị này.</translation>
    </message>
    <message>
        <source>Not saved: {reason}</source>
        <translation>Chưa lưu: {reason}</translation>
    </message>
</context>
<context>
    <name>AssetsView</name>
    <message>
        <source>Property</source>
        <translation>Thuộc tính</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Giá trị</translation>
    </message>
    <message>
        <source>Capture paradata</source>
        <translation>Thông tin thu nhận</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>Tệp</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s)</source>
        <translation>
            <numerusform>%n tệp</numerusform>
        </translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Định dạng</translation>
    </message>
    <message>
        <source>Geometry</source>
        <translation>Hình học</translation>
    </message>
    <message>
        <source>Vertices</source>
        <translation>Số đỉnh</translation>
    </message>
    <message>
        <source>Faces</source>
        <translation>Số mặt</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>Số điểm</translation>
    </message>
    <message>
        <source>Dimensions</source>
        <translation>Kích thước</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>không rõ</translation>
    </message>
    <message>
        <source>Textures</source>
        <translation>Ảnh bề mặt (texture)</translation>
    </message>
    <message>
        <source>none</source>
        <translation>không có</translation>
    </message>
    <message>
        <source>Vertex colours</source>
        <translation>Màu đỉnh</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>có</translation>
    </message>
    <message>
        <source>no</source>
        <translation>không</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Dung lượng</translation>
    </message>
    <message>
        <source>Imported</source>
        <translation>Ngày nhập</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Cảnh báo</translation>
    </message>
</context>
<context>
    <name>CatalogueModel</name>
    <message>
        <source>Title</source>
        <translation>Tên</translation>
    </message>
    <message>
        <source>Accession</source>
        <translation>Số đăng ký</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Loại</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>Thời kỳ</translation>
    </message>
    <message>
        <source>Collections</source>
        <translation>Bộ sưu tập</translation>
    </message>
    <message>
        <source>Materials / culinary line</source>
        <translation>Chất liệu / dòng ẩm thực</translation>
    </message>
    <message>
        <source>Updated</source>
        <translation>Cập nhật</translation>
    </message>
</context>
<context>
    <name>ChangedElsewhereBar</name>
    <message>
        <source>Deleted by {agent} at {at} while you were editing: your edits cannot be saved to it.</source>
        <translation>{agent} đã xoá mục này lúc {at} trong khi bạn đang sửa: không thể lưu các chỉnh sửa của bạn vào mục này nữa.</translation>
    </message>
    <message>
        <source>Changed by {agent} at {at} while you were editing. Reload shows the saved version (your unsaved edits are dropped); Save asks about each field you both changed.</source>
        <translation>{agent} đã thay đổi mục này lúc {at} trong khi bạn đang sửa. Tải lại để xem bản đã lưu (các chỉnh sửa chưa lưu của bạn sẽ bị bỏ); khi Lưu, bạn sẽ được hỏi về từng trường mà cả hai cùng sửa.</translation>
    </message>
    <message>
        <source>Reload</source>
        <translation>Tải lại</translation>
    </message>
</context>
<context>
    <name>CompareDialog</name>
    <message>
        <source>Compare scans</source>
        <translation>So sánh bản quét</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>Bản tham chiếu</translation>
    </message>
    <message>
        <source>(this model)</source>
        <translation>(mô hình này)</translation>
    </message>
    <message>
        <source>Compared scan</source>
        <translation>Bản quét được so sánh</translation>
    </message>
    <message>
        <source>Tolerance</source>
        <translation>Dung sai</translation>
    </message>
    <message>
        <source>Another item: accession or title</source>
        <translation>Hiện vật khác: số đăng ký hoặc tên</translation>
    </message>
    <message>
        <source>Aligned by three or more picked point pairs, else by feature matching; then ICP. Deviation: distance to the reference surface, negative inside.</source>
        <translation>Căn chỉnh bằng ba cặp điểm chọn trở lên, nếu không thì bằng khớp đặc trưng; sau đó ICP. Độ lệch: khoảng cách đến bề mặt bản tham chiếu, âm khi nằm bên trong.</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>Tìm</translation>
    </message>
    <message>
        <source>File…</source>
        <translation>Tệp…</translation>
    </message>
    <message>
        <source>Coarse alignment from picked points</source>
        <translation>Căn chỉnh thô từ các điểm đã chọn</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>So sánh</translation>
    </message>
    <message>
        <source>Show heat map</source>
        <translation>Hiện bản đồ nhiệt</translation>
    </message>
    <message>
        <source>Show the scan again</source>
        <translation>Hiện lại bản quét</translation>
    </message>
    <message>
        <source>Keep in the archive</source>
        <translation>Lưu vào kho lưu trữ</translation>
    </message>
    <message>
        <source>Save report…</source>
        <translation>Lưu báo cáo…</translation>
    </message>
    <message>
        <source>Kept comparisons of this item</source>
        <translation>Các phép so sánh đã lưu của hiện vật này</translation>
    </message>
    <message>
        <source>This item has one scan: find another item, or choose a file, to compare it with.</source>
        <translation>Hiện vật này chỉ có một bản quét: hãy tìm một hiện vật khác hoặc chọn một tệp để so sánh.</translation>
    </message>
    <message>
        <source>Version {n}: {file} ({date})</source>
        <translation>Phiên bản {n}: {file} ({date})</translation>
    </message>
    <message>
        <source>{n} scans of other items added to the list.</source>
        <translation>Đã thêm {n} bản quét của hiện vật khác vào danh sách.</translation>
    </message>
    <message>
        <source>No other item with a scan matches “{text}”.</source>
        <translation>Không có hiện vật nào khác có bản quét khớp với “{text}”.</translation>
    </message>
    <message>
        <source>Scan to compare</source>
        <translation>Bản quét để so sánh</translation>
    </message>
    <message>
        <source>File: {name}</source>
        <translation>Tệp: {name}</translation>
    </message>
    <message>
        <source>Choose the scan to compare first.</source>
        <translation>Hãy chọn bản quét để so sánh trước.</translation>
    </message>
    <message>
        <source>Choose two different scans.</source>
        <translation>Hãy chọn hai bản quét khác nhau.</translation>
    </message>
    <message>
        <source>Aligning and measuring…</source>
        <translation>Đang căn chỉnh và đo…</translation>
    </message>
    <message>
        <source>{n} points — mean {mean}, RMS {rms}, 95th percentile {p95}, max {max}; {beyond} % beyond the tolerance (alignment fitness {fit})</source>
        <translation>{n} điểm — trung bình {mean}, RMS {rms}, phân vị 95 {p95}, lớn nhất {max}; {beyond} % vượt dung sai (độ khớp căn chỉnh {fit})</translation>
    </message>
    <message>
        <source>Kept in the archive with its report.</source>
        <translation>Đã lưu vào kho lưu trữ cùng báo cáo.</translation>
    </message>
    <message>
        <source>Reading the kept comparison…</source>
        <translation>Đang đọc phép so sánh đã lưu…</translation>
    </message>
    <message>
        <source>Folder for the report</source>
        <translation>Thư mục cho báo cáo</translation>
    </message>
    <message>
        <source>Report saved: {path}</source>
        <translation>Đã lưu báo cáo: {path}</translation>
    </message>
</context>
<context>
    <name>CsvReportDialog</name>
    <message>
        <source>CSV import — check before applying</source>
        <translation>Nhập CSV — kiểm tra trước khi áp dụng</translation>
    </message>
    <message>
        <source>{file}: {created} new item(s), {updated} item(s) to update, {errors} row(s) with errors.</source>
        <translation>{file}: {created} mục mới, {updated} mục sẽ cập nhật, {errors} dòng có lỗi.</translation>
    </message>
    <message>
        <source>Row</source>
        <translation>Dòng</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>Trường</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>Vấn đề</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Áp dụng</translation>
    </message>
    <message>
        <source>Apply, skipping rows with errors</source>
        <translation>Áp dụng, bỏ qua các dòng lỗi</translation>
    </message>
    <message>
        <source>Nothing is changed unless you apply. Fix the rows below in the CSV file, or apply the valid rows only.</source>
        <translation>Chưa có gì thay đổi cho đến khi bạn áp dụng. Hãy sửa các dòng dưới đây trong tệp CSV, hoặc chỉ áp dụng các dòng hợp lệ.</translation>
    </message>
</context>
<context>
    <name>DeletedItemDialog</name>
    <message>
        <source>Item deleted elsewhere</source>
        <translation>Mục đã bị xoá ở nơi khác</translation>
    </message>
    <message>
        <source>{item} was deleted by {agent} at {at} while you were editing it.</source>
        <translation>{item} đã bị {agent} xoá lúc {at} trong khi bạn đang sửa.</translation>
    </message>
    <message>
        <source>{item} is no longer in the catalogue: it was deleted while you were editing it.</source>
        <translation>{item} không còn trong danh mục: mục này đã bị xoá trong khi bạn đang sửa.</translation>
    </message>
    <message>
        <source>Your edits cannot be saved to it. They are still in the form: copy them to paste into another item, or close the item.</source>
        <translation>Không thể lưu các thay đổi của bạn vào mục này. Chúng vẫn còn trong biểu mẫu: hãy sao chép để dán vào một mục khác, hoặc đóng mục này.</translation>
    </message>
    <message>
        <source>Copy my edits</source>
        <translation>Sao chép các thay đổi của tôi</translation>
    </message>
    <message>
        <source>Close the item</source>
        <translation>Đóng mục này</translation>
    </message>
    <message>
        <source>Keep editing</source>
        <translation>Tiếp tục sửa</translation>
    </message>
</context>
<context>
    <name>DetailPane</name>
    <message>
        <source>Metadata</source>
        <extracomment>&quot;This way up&quot; in the viewer: (the shown master asset&apos;s id, the axis now up) for the window to save.</extracomment>
        <translation>Siêu dữ liệu</translation>
    </message>
    <message>
        <source>Records ({n})</source>
        <translation>Ghi chép ({n})</translation>
    </message>
    <message>
        <source>Scans and files</source>
        <translation>Bản quét và tệp</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Lịch sử</translation>
    </message>
    <message>
        <source>Last changed by {agent} at {at}</source>
        <translation>Sửa lần cuối bởi {agent} lúc {at}</translation>
    </message>
    <message>
        <source>3D view</source>
        <translation>Xem 3D</translation>
    </message>
    <message>
        <source>The 3D model cannot be shown now.

{reason}</source>
        <translation>Hiện không thể hiển thị mô hình 3D.

{reason}</translation>
    </message>
    <message>
        <source>This item has no 3D model yet. Drop a scan on the window to import one.</source>
        <translation>Mục này chưa có mô hình 3D. Kéo thả một bản quét vào cửa sổ để nhập.</translation>
    </message>
    <message>
        <source>Starting the 3D viewer…</source>
        <translation>Đang khởi động trình xem 3D…</translation>
    </message>
    <message>
        <source>3D model: {name}
(the 3D viewer is not available on this computer)</source>
        <translation>Mô hình 3D: {name}
(trình xem 3D không dùng được trên máy này)</translation>
    </message>
</context>
<context>
    <name>Dialogs</name>
    <message>
        <source>The system refused access to {path}. Check that the folder is writable.</source>
        <translation>Hệ thống từ chối truy cập {path}. Hãy kiểm tra quyền ghi của thư mục.</translation>
    </message>
    <message>
        <source>{path} does not exist (was a drive disconnected?).</source>
        <translation>{path} không tồn tại (ổ đĩa bị ngắt kết nối?).</translation>
    </message>
    <message>
        <source>The disk reported a problem: {reason}.</source>
        <translation>Ổ đĩa báo lỗi: {reason}.</translation>
    </message>
    <message>
        <source>The catalogue database reported a problem: {reason}. Run Tools › Verify archive.</source>
        <translation>Cơ sở dữ liệu danh mục báo lỗi: {reason}. Hãy chạy Công cụ › Kiểm tra kho lưu trữ.</translation>
    </message>
    <message>
        <source>Something unexpected went wrong ({kind}). Details were written to {log}.</source>
        <translation>Đã xảy ra lỗi không mong đợi ({kind}). Chi tiết được ghi vào {log}.</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>Thay đổi chưa lưu</translation>
    </message>
    <message>
        <source>The metadata of {item} has unsaved changes.</source>
        <translation>Siêu dữ liệu của {item} có thay đổi chưa lưu.</translation>
    </message>
    <message>
        <source>Save them before continuing?</source>
        <translation>Lưu trước khi tiếp tục?</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Lưu</translation>
    </message>
    <message>
        <source>Discard changes</source>
        <translation>Bỏ thay đổi</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Hủy</translation>
    </message>
    <message>
        <source>Changed by someone else</source>
        <translation>Người khác đã thay đổi</translation>
    </message>
    <message>
        <source>While you were editing, someone else saved the same field(s).</source>
        <translation>Trong lúc bạn đang sửa, người khác đã lưu cùng (các) trường này.</translation>
    </message>
    <message>
        <source>{field}: changed by {agent} at {at}
    saved: {theirs}
    yours: {yours}</source>
        <translation>{field}: {agent} đã thay đổi lúc {at}
    đã lưu: {theirs}
    của bạn: {yours}</translation>
    </message>
    <message>
        <source>Reload (take theirs)</source>
        <translation>Tải lại (lấy bản của họ)</translation>
    </message>
    <message>
        <source>Keep mine (save over theirs)</source>
        <translation>Giữ bản của tôi (lưu đè)</translation>
    </message>
    <message>
        <source>Keep editing</source>
        <translation>Tiếp tục sửa</translation>
    </message>
    <message>
        <source>About</source>
        <translation>Giới thiệu</translation>
    </message>
    <message>
        <source>Unexpected error</source>
        <translation>Lỗi không mong đợi</translation>
    </message>
    <message>
        <source>A bug report is on the clipboard: the program&apos;s versions and the last lines of its log ({log}). It holds no catalogue values; paste it into your e-mail or issue and read it before you send it.</source>
        <translation>Báo cáo lỗi đã được chép vào bộ nhớ tạm: phiên bản chương trình và những dòng cuối của nhật ký ({log}). Báo cáo không chứa giá trị nào của danh mục; hãy dán vào thư hoặc phiếu báo lỗi và đọc lại trước khi gửi.</translation>
    </message>
    <message>
        <source>Bug report copied</source>
        <translation>Đã chép báo cáo lỗi</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message numerus="yes">
        <source>Export %n item(s)</source>
        <translation>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Chọn…</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>Hồ sơ xuất</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Định dạng</translation>
    </message>
    <message>
        <source>Master&apos;s up axis</source>
        <translation>Trục hướng lên của bản gốc</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>Thư mục đích</translation>
    </message>
    <message>
        <source>Only public fields are exported (bags keep everything).</source>
        <translation>Chỉ xuất các trường công khai (gói BagIt giữ mọi thứ).</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Xuất</translation>
    </message>
    <message>
        <source>Open the result</source>
        <translation>Mở kết quả</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Đang hủy…</translation>
    </message>
    <message>
        <source>Exported to %1</source>
        <translation>Đã xuất vào %1</translation>
    </message>
    <message>
        <source>Not exported: %1</source>
        <translation>Không xuất được: %1</translation>
    </message>
    <message>
        <source>Item %1: %2</source>
        <translation>Hiện vật %1: %2</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>Xuất thất bại: %1</translation>
    </message>
    <message>
        <source>Export cancelled.</source>
        <translation>Đã hủy xuất.</translation>
    </message>
</context>
<context>
    <name>FieldEditors</name>
    <message>
        <source>Add a value and press Enter</source>
        <translation>Nhập giá trị rồi nhấn Enter</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Thêm</translation>
    </message>
    <message>
        <source>Remove the selected value</source>
        <translation>Xóa giá trị đã chọn</translation>
    </message>
    <message>
        <source>Accession number or title of a relic</source>
        <translation>Số đăng ký hoặc tên hiện vật</translation>
    </message>
</context>
<context>
    <name>HistoryView</name>
    <message>
        <source>When</source>
        <translation>Thời điểm</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Người thực hiện</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>Sự kiện</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Chi tiết</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>Import scans</source>
        <translation>Nhập bản quét</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>Thêm tệp…</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>Thêm thư mục…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Xóa</translation>
    </message>
    <message>
        <source>Add as a new version of {item}</source>
        <translation>Thêm làm phiên bản mới của {item}</translation>
    </message>
    <message>
        <source>Kind of items</source>
        <translation>Loại mục</translation>
    </message>
    <message>
        <source>Add to collection</source>
        <translation>Thêm vào bộ sưu tập</translation>
    </message>
    <message>
        <source>Capture paradata (for every scan of this batch)</source>
        <translation>Thông tin thu nhận (cho mọi bản quét trong đợt này)</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>Nhập</translation>
    </message>
    <message>
        <source>Files, folders and zip archives to import:</source>
        <translation>Tệp, thư mục và tệp zip cần nhập:</translation>
    </message>
    <message>
        <source>Choose scans</source>
        <translation>Chọn bản quét</translation>
    </message>
    <message>
        <source>3D scans and zips ({patterns});;All files (*)</source>
        <translation>Bản quét 3D và zip ({patterns});;Mọi tệp (*)</translation>
    </message>
    <message>
        <source>Choose a folder of scans</source>
        <translation>Chọn thư mục bản quét</translation>
    </message>
    <message>
        <source>Add at least one file or folder to import.</source>
        <translation>Hãy thêm ít nhất một tệp hoặc thư mục để nhập.</translation>
    </message>
</context>
<context>
    <name>ImportSummaryDialog</name>
    <message>
        <source>Import finished</source>
        <translation>Đã nhập xong</translation>
    </message>
    <message numerus="yes">
        <source>%n scan(s) imported.</source>
        <translation>
            <numerusform>Đã nhập %n bản quét.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n could not be imported.</source>
        <translation>
            <numerusform>%n bản không nhập được.</numerusform>
        </translation>
    </message>
    <message>
        <source>File</source>
        <translation>Tệp</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Kết quả</translation>
    </message>
    <message>
        <source>Not imported</source>
        <translation>Không nhập được</translation>
    </message>
    <message>
        <source>Warnings</source>
        <translation>Cảnh báo</translation>
    </message>
    <message>
        <source>Skipped</source>
        <translation>Bỏ qua</translation>
    </message>
</context>
<context>
    <name>LevelPicking</name>
    <message>
        <source>Preparing lighter copies</source>
        <extracomment>A master this big is never opened whole by the viewer (Open3D would hold gigabytes of float64 and take a minute): until its levels exist the viewer says they are being made.</extracomment>
        <translation>Đang chuẩn bị bản nhẹ</translation>
    </message>
</context>
<context>
    <name>LevelStreamController</name>
    <message>
        <source>picking and measuring wait for the full-detail index (being built)</source>
        <translation>chọn điểm và đo đang chờ chỉ mục chi tiết đầy đủ (đang được tạo)</translation>
    </message>
    <message>
        <source>picking and measuring are off: {error}</source>
        <translation>đã tắt chọn điểm và đo: {error}</translation>
    </message>
    <message>
        <source>picking and measuring use the full detail</source>
        <translation>chọn điểm và đo dùng bản chi tiết đầy đủ</translation>
    </message>
    <message>
        <source>triangles</source>
        <translation>tam giác</translation>
    </message>
    <message>
        <source>points</source>
        <translation>điểm</translation>
    </message>
    <message>
        <source>Showing level {k} of {n} ({p} of {m} {noun}); {picking}</source>
        <translation>Đang hiển thị mức {k}/{n} ({p} trên {m} {noun}); {picking}</translation>
    </message>
</context>
<context>
    <name>LiveRefresh</name>
    <message>
        <source>Cannot read the latest changes: {error}</source>
        <translation>Không đọc được các thay đổi mới nhất: {error}</translation>
    </message>
    <message>
        <source>Updated with changes by {agents}</source>
        <translation>Đã cập nhật các thay đổi của {agents}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Heritage &amp; Cuisine 3D Archive</source>
        <translation>Kho lưu trữ 3D Di sản &amp; Ẩm thực</translation>
    </message>
    <message>
        <source>No archive open</source>
        <translation>Chưa mở kho lưu trữ</translation>
    </message>
    <message>
        <source>Cannot open the archive</source>
        <translation>Không mở được kho lưu trữ</translation>
    </message>
    <message>
        <source>Opened {path}: {n} item(s)</source>
        <translation>Đã mở {path}: {n} mục</translation>
    </message>
    <message>
        <source>About this archive</source>
        <translation>Về kho lưu trữ này</translation>
    </message>
    <message>
        <source>Open an archive folder</source>
        <translation>Mở thư mục kho lưu trữ</translation>
    </message>
    <message>
        <source>Choose an empty folder for the new archive</source>
        <translation>Chọn thư mục trống cho kho lưu trữ mới</translation>
    </message>
    <message>
        <source>Cannot create the archive</source>
        <translation>Không tạo được kho lưu trữ</translation>
    </message>
    <message>
        <source>Choose an empty folder for the demo archive</source>
        <translation>Chọn thư mục trống cho kho lưu trữ mẫu</translation>
    </message>
    <message>
        <source>Creating the demo archive</source>
        <translation>Đang tạo kho lưu trữ mẫu</translation>
    </message>
    <message>
        <source>Cannot create the demo</source>
        <translation>Không tạo được kho mẫu</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(không có)</translation>
    </message>
    <message>
        <source>No archive is open.</source>
        <translation>Chưa mở kho lưu trữ nào.</translation>
    </message>
    <message>
        <source>Cannot show the item</source>
        <translation>Không hiển thị được mục</translation>
    </message>
    <message numerus="yes">
        <source>Saved %n change(s) to {item}</source>
        <translation>
            <numerusform>Đã lưu %n thay đổi cho {item}</numerusform>
        </translation>
    </message>
    <message>
        <source>Cannot save which way is up</source>
        <translation>Không lưu được hướng lên</translation>
    </message>
    <message>
        <source>Saved: {axis} is up for this scan</source>
        <translation>Đã lưu: {axis} là hướng lên của bản quét này</translation>
    </message>
    <message>
        <source>Delete {item} from the catalogue? Its files are moved to the archive&apos;s &apos;deleted&apos; folder and the deletion is logged.</source>
        <translation>Xóa {item} khỏi danh mục? Các tệp được chuyển vào thư mục &apos;deleted&apos; của kho và việc xóa được ghi nhật ký.</translation>
    </message>
    <message>
        <source>Delete item</source>
        <translation>Xóa mục</translation>
    </message>
    <message>
        <source>Cannot delete the item</source>
        <translation>Không xóa được mục</translation>
    </message>
    <message>
        <source>Deleted {item}</source>
        <translation>Đã xóa {item}</translation>
    </message>
    <message>
        <source>Cannot import the files</source>
        <translation>Không thể nhập các tệp</translation>
    </message>
    <message>
        <source>Restore finished</source>
        <translation>Đã khôi phục xong</translation>
    </message>
    <message>
        <source>The backup was restored to {path}. Open it now?</source>
        <translation>Bản sao lưu đã được khôi phục vào {path}. Mở ngay?</translation>
    </message>
    <message>
        <source>Work in progress</source>
        <translation>Đang xử lý</translation>
    </message>
    <message>
        <source>An operation is still running. Cancel it and quit? Nothing half-done is kept.</source>
        <translation>Một thao tác vẫn đang chạy. Hủy và thoát? Không có gì làm dở được giữ lại.</translation>
    </message>
</context>
<context>
    <name>MetadataEditor</name>
    <message>
        <source>Identification</source>
        <translation>Định danh</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Mô tả</translation>
    </message>
    <message>
        <source>Object</source>
        <translation>Hiện vật</translation>
    </message>
    <message>
        <source>Dish and recipe</source>
        <translation>Món ăn và công thức</translation>
    </message>
    <message>
        <source>Date, place and makers</source>
        <translation>Niên đại, địa điểm và tác giả</translation>
    </message>
    <message>
        <source>Rights and credit</source>
        <translation>Quyền và ghi công</translation>
    </message>
    <message>
        <source>Internal — never published</source>
        <translation>Nội bộ — không bao giờ công bố</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Hoàn tác</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>Làm lại</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>Khôi phục</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Lưu</translation>
    </message>
    <message>
        <source>Undo the last edit (Ctrl+Z)</source>
        <translation>Hoàn tác lần sửa cuối (Ctrl+Z)</translation>
    </message>
    <message>
        <source>Redo (Ctrl+Shift+Z)</source>
        <translation>Làm lại (Ctrl+Shift+Z)</translation>
    </message>
    <message>
        <source>Save the changes to the archive (Ctrl+S)</source>
        <translation>Lưu thay đổi vào kho (Ctrl+S)</translation>
    </message>
    <message>
        <source>No item selected</source>
        <translation>Chưa chọn mục nào</translation>
    </message>
    <message numerus="yes">
        <source>● Unsaved changes in %n field(s)</source>
        <translation>
            <numerusform>● %n trường có thay đổi chưa lưu</numerusform>
        </translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>Đã lưu</translation>
    </message>
    <message>
        <source>Not known yet whether this was saved: {reason}</source>
        <translation>Chưa biết thay đổi này đã được lưu hay chưa: {reason}</translation>
    </message>
    <message>
        <source>Not saved: {reason}</source>
        <translation>Chưa lưu: {reason}</translation>
    </message>
    <message>
        <source>Your edits are still in the form: save again once this is resolved.</source>
        <translation>Các thay đổi của bạn vẫn còn trong biểu mẫu: hãy lưu lại khi sự cố đã được khắc phục.</translation>
    </message>
    <message>
        <source>Not saved: this item was deleted elsewhere.</source>
        <translation>Chưa lưu: mục này đã bị xoá ở nơi khác.</translation>
    </message>
    <message>
        <source>Your edits were copied to the clipboard.</source>
        <translation>Các thay đổi của bạn đã được sao chép vào bộ nhớ tạm.</translation>
    </message>
    <message numerus="yes">
        <source>Not saved — %n problem(s):</source>
        <translation>
            <numerusform>Chưa lưu — %n vấn đề:</numerusform>
        </translation>
    </message>
    <message>
        <source>The term was not added</source>
        <translation>Chưa thêm được thuật ngữ</translation>
    </message>
</context>
<context>
    <name>Operations</name>
    <message>
        <source>Cancel</source>
        <translation>Hủy</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Đang hủy…</translation>
    </message>
    <message>
        <source>Cancelled; nothing was changed.</source>
        <translation>Đã hủy; không có gì thay đổi.</translation>
    </message>
    <message>
        <source>Importing scans</source>
        <translation>Đang nhập bản quét</translation>
    </message>
    <message>
        <source>Import failed</source>
        <translation>Nhập thất bại</translation>
    </message>
    <message>
        <source>Imported {n} scan(s); {e} could not be imported.</source>
        <translation>Đã nhập {n} bản quét; {e} bản không nhập được.</translation>
    </message>
    <message>
        <source>Checking fixity</source>
        <translation>Đang kiểm tra tính toàn vẹn</translation>
    </message>
    <message>
        <source>Verify failed</source>
        <translation>Kiểm tra thất bại</translation>
    </message>
    <message>
        <source>Moved {n} file(s) to their names.</source>
        <translation>Đã chuyển {n} tệp về đúng tên.</translation>
    </message>
    <message>
        <source>Moving files to their names</source>
        <translation>Đang chuyển tệp về đúng tên</translation>
    </message>
    <message>
        <source>Fix names failed</source>
        <translation>Sửa tên tệp thất bại</translation>
    </message>
    <message>
        <source>Choose an empty folder for the backup</source>
        <translation>Chọn thư mục trống cho bản sao lưu</translation>
    </message>
    <message>
        <source>Backing up</source>
        <translation>Đang sao lưu</translation>
    </message>
    <message>
        <source>Backup failed</source>
        <translation>Sao lưu thất bại</translation>
    </message>
    <message>
        <source>Backup written to {path}</source>
        <translation>Đã ghi bản sao lưu vào {path}</translation>
    </message>
    <message>
        <source>Automatic backup</source>
        <translation>Sao lưu tự động</translation>
    </message>
    <message>
        <source>Automatic backup failed</source>
        <translation>Sao lưu tự động không thành công</translation>
    </message>
    <message>
        <source>Automatic backup written to {path}</source>
        <translation>Đã sao lưu tự động vào {path}</translation>
    </message>
    <message>
        <source>Choose the backup folder to restore</source>
        <translation>Chọn thư mục sao lưu cần khôi phục</translation>
    </message>
    <message>
        <source>Choose an empty folder for the restored archive</source>
        <translation>Chọn thư mục trống cho kho được khôi phục</translation>
    </message>
    <message>
        <source>Restoring</source>
        <translation>Đang khôi phục</translation>
    </message>
    <message>
        <source>Restore failed</source>
        <translation>Khôi phục thất bại</translation>
    </message>
    <message>
        <source>Export metadata as CSV</source>
        <translation>Xuất siêu dữ liệu ra CSV</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Tệp CSV (*.csv)</translation>
    </message>
    <message>
        <source>Exporting CSV</source>
        <translation>Đang xuất CSV</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>Xuất thất bại</translation>
    </message>
    <message>
        <source>Exported {n} item(s) to {path}</source>
        <translation>Đã xuất {n} mục vào {path}</translation>
    </message>
    <message>
        <source>Import metadata from CSV</source>
        <translation>Nhập siêu dữ liệu từ CSV</translation>
    </message>
    <message>
        <source>Checking CSV</source>
        <translation>Đang kiểm tra CSV</translation>
    </message>
    <message>
        <source>CSV import failed</source>
        <translation>Nhập CSV thất bại</translation>
    </message>
    <message>
        <source>Importing CSV</source>
        <translation>Đang nhập CSV</translation>
    </message>
    <message>
        <source>CSV applied: {c} created, {u} updated.</source>
        <translation>Đã áp dụng CSV: tạo {c}, cập nhật {u}.</translation>
    </message>
</context>
<context>
    <name>PairsEditor</name>
    <message>
        <source>On the reference (x, y, z)</source>
        <translation>Trên bản tham chiếu (x, y, z)</translation>
    </message>
    <message>
        <source>On the compared scan (x, y, z)</source>
        <translation>Trên bản so sánh (x, y, z)</translation>
    </message>
    <message>
        <source>Pick on the reference</source>
        <translation>Chọn trên bản tham chiếu</translation>
    </message>
    <message>
        <source>Pick on the compared scan</source>
        <translation>Chọn trên bản quét được so sánh</translation>
    </message>
    <message>
        <source>Add pair</source>
        <translation>Thêm cặp</translation>
    </message>
    <message>
        <source>Remove pair</source>
        <translation>Xóa cặp</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>Xóa hết</translation>
    </message>
    <message>
        <source>Three or more pairs of matching points align the scans before ICP; without them a global registration does.</source>
        <translation>Ba cặp điểm tương ứng trở lên sẽ căn chỉnh hai bản quét trước ICP; nếu không có, phép đăng ký toàn cục sẽ làm việc này.</translation>
    </message>
    <message>
        <source>Pair {n} needs a point on each scan, written x, y, z.</source>
        <translation>Cặp {n} cần một điểm trên mỗi bản quét, viết dạng x, y, z.</translation>
    </message>
    <message>
        <source>The coarse alignment needs at least three pairs; there are {n}.</source>
        <translation>Căn chỉnh thô cần ít nhất ba cặp; hiện có {n}.</translation>
    </message>
    <message>
        <source>Choose the scan to compare first.</source>
        <translation>Hãy chọn bản quét để so sánh trước.</translation>
    </message>
    <message>
        <source>The 3D view is not available here: type the coordinates instead.</source>
        <translation>Không dùng được khung nhìn 3D ở đây: hãy nhập tọa độ.</translation>
    </message>
    <message>
        <source>the reference</source>
        <translation>bản tham chiếu</translation>
    </message>
    <message>
        <source>the compared scan</source>
        <translation>bản quét được so sánh</translation>
    </message>
    <message>
        <source>Click points on {what}: each click fills the next pair. Drag to turn the scan.</source>
        <translation>Nhấp chọn điểm trên {what}: mỗi lần nhấp điền vào cặp tiếp theo. Kéo chuột để xoay bản quét.</translation>
    </message>
    <message>
        <source>Point {n} picked.</source>
        <translation>Đã chọn điểm {n}.</translation>
    </message>
</context>
<context>
    <name>Problems</name>
    <message>
        <source>must not be negative</source>
        <translation>không được âm</translation>
    </message>
    <message>
        <source>must be at least {minimum}</source>
        <translation>phải ít nhất là {minimum}</translation>
    </message>
    <message>
        <source>must be at most {maximum}</source>
        <translation>phải nhiều nhất là {maximum}</translation>
    </message>
    <message>
        <source>is required</source>
        <translation>là bắt buộc</translation>
    </message>
    <message>
        <source>is longer than {maximum} characters</source>
        <translation>dài hơn {maximum} ký tự</translation>
    </message>
    <message>
        <source>contains a NUL character</source>
        <translation>chứa ký tự NUL</translation>
    </message>
    <message>
        <source>must be a whole number, not “{value}”</source>
        <translation>phải là số nguyên, không phải “{value}”</translation>
    </message>
    <message>
        <source>must be a number, not “{value}”</source>
        <translation>phải là số, không phải “{value}”</translation>
    </message>
    <message>
        <source>must be a finite number</source>
        <translation>phải là số hữu hạn</translation>
    </message>
    <message>
        <source>must be yes or no, not “{value}”</source>
        <translation>phải là có hoặc không, không phải “{value}”</translation>
    </message>
    <message>
        <source>is not a valid list</source>
        <translation>không phải là danh sách hợp lệ</translation>
    </message>
    <message>
        <source>must be one of {choices}, not “{value}”</source>
        <translation>phải là một trong {choices}, không phải “{value}”</translation>
    </message>
    <message>
        <source>must be an item of the archive, not “{value}”</source>
        <translation>phải là một hiện vật trong kho, không phải “{value}”</translation>
    </message>
    <message>
        <source>must be a date like 2024-05-17 (or 2024-05, 2024), not “{value}”</source>
        <translation>phải là ngày dạng 2024-05-17 (hoặc 2024-05, 2024), không phải “{value}”</translation>
    </message>
    <message>
        <source>“{value}” is not in the vocabulary yet</source>
        <translation>“{value}” chưa có trong danh mục từ vựng</translation>
    </message>
    <message>
        <source>“{value}” is already in the vocabulary</source>
        <translation>“{value}” đã có trong danh mục từ vựng</translation>
    </message>
    <message>
        <source>is not a field of the catalogue</source>
        <translation>không phải là trường của danh mục</translation>
    </message>
    <message>
        <source>does not apply to items of kind {kind}</source>
        <translation>không áp dụng cho hiện vật loại {kind}</translation>
    </message>
    <message>
        <source>an item needs a title in Vietnamese or English</source>
        <translation>hiện vật cần có tên tiếng Việt hoặc tiếng Anh</translation>
    </message>
    <message>
        <source>the year range is reversed ({year_from} &gt; {year_to})</source>
        <translation>khoảng năm bị đảo ngược ({year_from} &gt; {year_to})</translation>
    </message>
    <message>
        <source>latitude and longitude must be given together</source>
        <translation>vĩ độ và kinh độ phải được nhập cùng nhau</translation>
    </message>
    <message>
        <source>dimensions need a unit (mm, cm or m)</source>
        <translation>kích thước cần có đơn vị (mm, cm hoặc m)</translation>
    </message>
</context>
<context>
    <name>RecordDialog</name>
    <message>
        <source>New record</source>
        <translation>Ghi chép mới</translation>
    </message>
    <message>
        <source>Edit record</source>
        <translation>Sửa ghi chép</translation>
    </message>
    <message>
        <source>Public: may appear on published pages</source>
        <translation>Công khai: có thể xuất hiện trên các trang được công bố</translation>
    </message>
    <message>
        <source>Needs review: a new version of the scan changed the geometry since this was recorded. Untick once the points are checked.</source>
        <translation>Cần xem lại: một phiên bản quét mới đã thay đổi hình học kể từ khi ghi chép này được tạo. Bỏ đánh dấu sau khi đã kiểm tra các điểm.</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Loại</translation>
    </message>
    <message>
        <source>What</source>
        <translation>Nội dung</translation>
    </message>
    <message>
        <source>Title (Vietnamese)</source>
        <translation>Tiêu đề (tiếng Việt)</translation>
    </message>
    <message>
        <source>Title (English)</source>
        <translation>Tiêu đề (tiếng Anh)</translation>
    </message>
    <message>
        <source>Text (Vietnamese)</source>
        <translation>Nội dung (tiếng Việt)</translation>
    </message>
    <message>
        <source>Text (English)</source>
        <translation>Nội dung (tiếng Anh)</translation>
    </message>
    <message>
        <source>Public</source>
        <translation>Công khai</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>Xem lại</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>Các điểm</translation>
    </message>
    <message>
        <source>Normal</source>
        <translation>Pháp tuyến</translation>
    </message>
    <message>
        <source>Saved view</source>
        <translation>Góc nhìn đã lưu</translation>
    </message>
    <message>
        <source>Not saved: {reason}</source>
        <translation>Chưa lưu: {reason}</translation>
    </message>
    <message>
        <source>Reloaded: the form shows the values saved by someone else.</source>
        <translation>Đã tải lại: biểu mẫu hiển thị các giá trị do người khác lưu.</translation>
    </message>
    <message>
        <source>A title in Vietnamese or English is required.</source>
        <translation>Cần có tiêu đề bằng tiếng Việt hoặc tiếng Anh.</translation>
    </message>
    <message numerus="yes">
        <source>Not saved — %n problem(s):</source>
        <translation>
            <numerusform>Chưa lưu — %n vấn đề:</numerusform>
        </translation>
    </message>
    <message>
        <source>Measurement</source>
        <translation>Số đo</translation>
    </message>
    <message>
        <source>Landmark</source>
        <translation>Điểm mốc</translation>
    </message>
    <message>
        <source>Annotation</source>
        <translation>Chú thích</translation>
    </message>
    <message>
        <source>units</source>
        <translation>đơn vị</translation>
    </message>
    <message>
        <source>Angle {value}°</source>
        <translation>Góc {value}°</translation>
    </message>
    <message>
        <source>Area {value} {unit}²</source>
        <translation>Diện tích {value} {unit}²</translation>
    </message>
    <message>
        <source>Path {value} {unit} ({n} points)</source>
        <translation>Đường gấp khúc {value} {unit} ({n} điểm)</translation>
    </message>
    <message>
        <source>Distance {value} {unit}</source>
        <translation>Khoảng cách {value} {unit}</translation>
    </message>
    <message>
        <source> at {x}, {y}, {z} {unit}</source>
        <translation> tại {x}, {y}, {z} {unit}</translation>
    </message>
    <message>
        <source> · with a saved view</source>
        <translation> · kèm góc nhìn đã lưu</translation>
    </message>
</context>
<context>
    <name>RecordsInViewer</name>
    <message>
        <source>A new version of the scan replaced the one measured: the unsaved measurement was on the old one and was dropped.</source>
        <extracomment>points a measurement needs before it can be saved a click after this many points starts a new measurement (a path goes on)</extracomment>
        <translation>Một phiên bản quét mới đã thay thế bản đang đo: số đo chưa lưu thuộc bản cũ nên đã bị bỏ.</translation>
    </message>
    <message>
        <source>This record belongs to an earlier version of the scan.</source>
        <translation>Ghi chép này thuộc một phiên bản quét trước.</translation>
    </message>
    <message>
        <source>Click the model where the annotation goes.</source>
        <translation>Nhấp vào mô hình tại chỗ cần đặt chú thích.</translation>
    </message>
    <message>
        <source>{value} — Save measurement keeps it with the item</source>
        <translation>{value} — bấm Lưu số đo để giữ nó cùng hiện vật</translation>
    </message>
    <message>
        <source>Point {n} of {needed}: click the next point</source>
        <translation>Điểm {n}/{needed}: nhấp điểm tiếp theo</translation>
    </message>
    <message>
        <source>Nothing to save yet: click the points to measure first.</source>
        <translation>Chưa có gì để lưu: hãy nhấp các điểm cần đo trước.</translation>
    </message>
    <message>
        <source>Unsaved measurement</source>
        <translation>Số đo chưa lưu</translation>
    </message>
    <message>
        <source>The measurement {what} is not saved.</source>
        <translation>Số đo {what} chưa được lưu.</translation>
    </message>
    <message>
        <source>Save it as a record of this item before continuing?</source>
        <translation>Lưu nó thành ghi chép của hiện vật này trước khi tiếp tục?</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>Bỏ</translation>
    </message>
</context>
<context>
    <name>RecordsPanel</name>
    <message>
        <source>Record</source>
        <extracomment>the overlay&apos;s colours (viewer.markers.COLOURS, not imported: the list works without the 3D viewer&apos;s libraries); a test keeps the two equal</extracomment>
        <translation>Ghi chép</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Giá trị</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Tình trạng</translation>
    </message>
    <message>
        <source>Add annotation…</source>
        <translation>Thêm chú thích…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Sửa…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Xóa…</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Xuất…</translation>
    </message>
    <message>
        <source>Save this item&apos;s records as CSV or JSON</source>
        <translation>Lưu các ghi chép của hiện vật này thành CSV hoặc JSON</translation>
    </message>
    <message>
        <source>No measurements, landmarks or annotations yet. Measure or mark a point in the 3D view, then save it.</source>
        <translation>Chưa có số đo, điểm mốc hay chú thích nào. Hãy đo hoặc đánh dấu một điểm trong khung 3D rồi lưu lại.</translation>
    </message>
    <message>
        <source>needs review</source>
        <translation>cần xem lại</translation>
    </message>
    <message>
        <source>public</source>
        <translation>công khai</translation>
    </message>
    <message>
        <source>private</source>
        <translation>riêng tư</translation>
    </message>
    <message>
        <source>saved view</source>
        <translation>có góc nhìn</translation>
    </message>
    <message>
        <source>on an earlier scan version</source>
        <translation>trên phiên bản quét trước</translation>
    </message>
    <message>
        <source>Click a point on the model for the annotation</source>
        <translation>Nhấp một điểm trên mô hình để đặt chú thích</translation>
    </message>
    <message>
        <source>Needs the 3D view: a note is placed on a point of the model</source>
        <translation>Cần khung xem 3D: chú thích được đặt tại một điểm của mô hình</translation>
    </message>
    <message>
        <source>No item is shown.</source>
        <translation>Chưa có hiện vật nào được hiển thị.</translation>
    </message>
    <message>
        <source>Not saved</source>
        <translation>Chưa lưu</translation>
    </message>
    <message>
        <source>Saved: {what}</source>
        <translation>Đã lưu: {what}</translation>
    </message>
    <message>
        <source>Delete {what}? The deletion is logged with the whole record in the item&apos;s history.</source>
        <translation>Xóa {what}? Việc xóa được ghi vào lịch sử của hiện vật cùng toàn bộ ghi chép.</translation>
    </message>
    <message>
        <source>Delete record</source>
        <translation>Xóa ghi chép</translation>
    </message>
    <message>
        <source>Cannot delete the record</source>
        <translation>Không xóa được ghi chép</translation>
    </message>
    <message>
        <source>This item has no records yet, so nothing was exported (no file written).</source>
        <translation>Hiện vật này chưa có ghi chép nào nên không có gì để xuất (không tạo tệp).</translation>
    </message>
    <message>
        <source>Export records</source>
        <translation>Xuất ghi chép</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>Xuất thất bại</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n record(s) to {path}</source>
        <translation>
            <numerusform>Đã xuất %n ghi chép vào {path}</numerusform>
        </translation>
    </message>
    <message>
        <source>No records were exported: {path} holds only the column names.</source>
        <translation>Không có ghi chép nào được xuất: {path} chỉ chứa tên cột.</translation>
    </message>
</context>
<context>
    <name>SavedComparisons</name>
    <message>
        <source>Kept</source>
        <translation>Ngày lưu</translation>
    </message>
    <message>
        <source>Compared scan</source>
        <translation>Bản quét được so sánh</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>Bản tham chiếu</translation>
    </message>
    <message>
        <source>RMS</source>
        <translation>RMS</translation>
    </message>
    <message>
        <source>95th percentile</source>
        <translation>Phân vị 95</translation>
    </message>
    <message>
        <source>Max</source>
        <translation>Lớn nhất</translation>
    </message>
    <message>
        <source>Beyond tolerance</source>
        <translation>Vượt dung sai</translation>
    </message>
    <message>
        <source>Show heat map</source>
        <translation>Hiện bản đồ nhiệt</translation>
    </message>
    <message>
        <source>Open report</source>
        <translation>Mở báo cáo</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Xóa…</translation>
    </message>
    <message>
        <source>No comparison of this item is kept yet: run one, then Keep in the archive.</source>
        <translation>Chưa có phép so sánh nào của hiện vật này được lưu: hãy chạy một phép so sánh, rồi bấm Lưu vào kho lưu trữ.</translation>
    </message>
    <message>
        <source>Delete comparison</source>
        <translation>Xóa phép so sánh</translation>
    </message>
    <message>
        <source>Delete the comparison of {compared} against {reference}? Its figures and report go; the scans stay.</source>
        <translation>Xóa phép so sánh {compared} với {reference}? Số liệu và báo cáo của nó sẽ mất; các bản quét vẫn giữ nguyên.</translation>
    </message>
</context>
<context>
    <name>SearchBar</name>
    <message>
        <source>Search titles, accession numbers, materials, ingredients… (accents optional)</source>
        <translation>Tìm theo tên, số đăng ký, chất liệu, nguyên liệu… (gõ có dấu hoặc không dấu)</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Loại</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <source>Collection</source>
        <translation>Bộ sưu tập</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>Thời kỳ</translation>
    </message>
    <message>
        <source>Material</source>
        <translation>Chất liệu</translation>
    </message>
    <message>
        <source>Culinary line</source>
        <translation>Dòng ẩm thực</translation>
    </message>
    <message>
        <source>Texture</source>
        <translation>Ảnh bề mặt</translation>
    </message>
    <message>
        <source>Any</source>
        <translation>Tất cả</translation>
    </message>
    <message>
        <source>With texture</source>
        <translation>Có ảnh bề mặt</translation>
    </message>
    <message>
        <source>Without texture</source>
        <translation>Không có ảnh bề mặt</translation>
    </message>
    <message>
        <source>Clear filters</source>
        <translation>Xóa bộ lọc</translation>
    </message>
    <message>
        <source>Search as you type (Ctrl+F)</source>
        <translation>Tìm ngay khi gõ (Ctrl+F)</translation>
    </message>
    <message numerus="yes">
        <source>%n item(s)</source>
        <translation>
            <numerusform>%n mục</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TermAdder</name>
    <message>
        <source>Add “{value}” to {vocabulary}…</source>
        <translation>Thêm “{value}” vào {vocabulary}…</translation>
    </message>
</context>
<context>
    <name>Values</name>
    <message>
        <source>Relic</source>
        <translation>Hiện vật</translation>
    </message>
    <message>
        <source>Dish</source>
        <translation>Món ăn</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>Khác</translation>
    </message>
    <message>
        <source>Draft</source>
        <translation>Bản nháp</translation>
    </message>
    <message>
        <source>Reviewed</source>
        <translation>Đã duyệt</translation>
    </message>
    <message>
        <source>Published</source>
        <translation>Đã công bố</translation>
    </message>
    <message>
        <source>Real food</source>
        <translation>Món thật</translation>
    </message>
    <message>
        <source>Replica</source>
        <translation>Mô hình</translation>
    </message>
    <message>
        <source>Master</source>
        <translation>Bản gốc</translation>
    </message>
    <message>
        <source>Processed</source>
        <translation>Đã xử lý</translation>
    </message>
    <message>
        <source>Photo</source>
        <translation>Ảnh</translation>
    </message>
</context>
<context>
    <name>VerifyReportDialog</name>
    <message>
        <source>Fixity check</source>
        <translation>Kiểm tra tính toàn vẹn</translation>
    </message>
    <message numerus="yes">
        <source>All %n file(s) match their recorded SHA-256. The catalogue is intact.</source>
        <translation>
            <numerusform>Cả %n tệp khớp với SHA-256 đã ghi. Danh mục nguyên vẹn.</numerusform>
        </translation>
    </message>
    <message>
        <source>Problems found: {changed} changed, {missing} missing, {untracked} untracked file(s); {ok} file(s) are intact. Restore damaged files from a backup; nothing was changed.</source>
        <translation>Phát hiện vấn đề: {changed} tệp bị thay đổi, {missing} tệp bị thiếu, {untracked} tệp không được theo dõi; {ok} tệp nguyên vẹn. Hãy khôi phục tệp hỏng từ bản sao lưu; không có gì bị thay đổi.</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) are stored under the name an earlier version of the archive gave them; their contents match the recorded SHA-256, so nothing needs restoring. Run Fix names to move them to today&apos;s names (some cannot be opened on Windows until then).</source>
        <translation>
            <numerusform>%n tệp đang được lưu dưới tên do phiên bản kho lưu trữ trước đặt; nội dung vẫn khớp SHA-256 đã ghi nên không cần khôi phục gì. Hãy chạy Sửa tên tệp để chuyển chúng về tên hiện nay (trước đó một số tệp không mở được trên Windows).</numerusform>
        </translation>
    </message>
    <message>
        <source>File</source>
        <translation>Tệp</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>Mục</translation>
    </message>
    <message>
        <source>catalogue database</source>
        <translation>cơ sở dữ liệu danh mục</translation>
    </message>
    <message>
        <source>changed</source>
        <translation>bị thay đổi</translation>
    </message>
    <message>
        <source>missing</source>
        <translation>bị thiếu</translation>
    </message>
    <message>
        <source>untracked</source>
        <translation>không được theo dõi</translation>
    </message>
    <message>
        <source>stored under an earlier name (run Fix names)</source>
        <translation>lưu dưới tên cũ (chạy Sửa tên tệp)</translation>
    </message>
    <message>
        <source>Fix names</source>
        <translation>Sửa tên tệp</translation>
    </message>
    <message>
        <source>Move those files to today&apos;s names: only files whose contents match the recorded SHA-256 are moved, and each move is logged.</source>
        <translation>Chuyển các tệp đó về tên hiện nay: chỉ những tệp có nội dung khớp SHA-256 đã ghi mới được chuyển, và mỗi lần chuyển đều được ghi nhật ký.</translation>
    </message>
    <message>
        <source>Moving files to their names…</source>
        <translation>Đang chuyển tệp về đúng tên…</translation>
    </message>
    <message numerus="yes">
        <source>Moved %n file(s) to today&apos;s names.</source>
        <translation>
            <numerusform>Đã chuyển %n tệp về tên hiện nay.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) were left where they are: their contents differ from the recorded SHA-256 (restore them from a backup).</source>
        <translation>
            <numerusform>%n tệp được để nguyên chỗ cũ: nội dung khác SHA-256 đã ghi (hãy khôi phục chúng từ bản sao lưu).</numerusform>
        </translation>
    </message>
    <message>
        <source>Verify the archive again to check.</source>
        <translation>Hãy kiểm tra lại kho lưu trữ để xác nhận.</translation>
    </message>
</context>
<context>
    <name>ViewerMemoryDialog</name>
    <message>
        <source>3D viewer memory</source>
        <extracomment>The most a user can give the viewer (MB): beyond what any desktop holds, so never the limit.</extracomment>
        <translation>Bộ nhớ cho trình xem 3D</translation>
    </message>
    <message>
        <source>Automatic ({mb} MB)</source>
        <translation>Tự động ({mb} MB)</translation>
    </message>
    <message>
        <source>Big scans open from lighter copies. When the view is still, the most detailed copy that fits this memory is shown. Picking and measuring always use the full scan. Automatic is an eighth of this computer&apos;s memory, between 512 MB and 2 GB.</source>
        <translation>Bản quét lớn được mở từ các bản nhẹ. Khi khung nhìn đứng yên, bản chi tiết nhất vừa với bộ nhớ này sẽ được hiển thị. Chọn điểm và đo luôn dùng toàn bộ bản quét. Tự động là một phần tám bộ nhớ của máy tính này, trong khoảng từ 512 MB đến 2 GB.</translation>
    </message>
    <message>
        <source>Memory for the 3D view:</source>
        <translation>Bộ nhớ cho khung nhìn 3D:</translation>
    </message>
    <message>
        <source>In use now:</source>
        <translation>Đang dùng:</translation>
    </message>
    <message>
        <source>nothing (no scan is open in the 3D view)</source>
        <translation>không có (chưa mở bản quét nào trong khung nhìn 3D)</translation>
    </message>
    <message>
        <source>{used} MB of {budget} MB</source>
        <translation>{used} MB trên {budget} MB</translation>
    </message>
</context>
<context>
    <name>ViewerToolbar</name>
    <message>
        <source>Automatic</source>
        <translation>Tự động</translation>
    </message>
    <message>
        <source>Textured</source>
        <translation>Có ảnh bề mặt</translation>
    </message>
    <message>
        <source>Shaded</source>
        <translation>Tô bóng</translation>
    </message>
    <message>
        <source>Vertex colours</source>
        <translation>Màu đỉnh</translation>
    </message>
    <message>
        <source>Wireframe</source>
        <translation>Khung dây</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>Điểm</translation>
    </message>
    <message>
        <source>Front</source>
        <translation>Trước</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Sau</translation>
    </message>
    <message>
        <source>Left</source>
        <translation>Trái</translation>
    </message>
    <message>
        <source>Right</source>
        <translation>Phải</translation>
    </message>
    <message>
        <source>Top</source>
        <translation>Trên</translation>
    </message>
    <message>
        <source>Bottom</source>
        <translation>Dưới</translation>
    </message>
    <message>
        <source>Three-quarter</source>
        <translation>Nhìn xiên ba phần tư</translation>
    </message>
    <message>
        <source>Default light</source>
        <translation>Ánh sáng mặc định</translation>
    </message>
    <message>
        <source>Raking light from left</source>
        <translation>Ánh sáng xiên từ trái</translation>
    </message>
    <message>
        <source>Raking light from right</source>
        <translation>Ánh sáng xiên từ phải</translation>
    </message>
    <message>
        <source>Raking light from top</source>
        <translation>Ánh sáng xiên từ trên</translation>
    </message>
    <message>
        <source>Flat (no shading)</source>
        <translation>Phẳng (không tô bóng)</translation>
    </message>
    <message>
        <source>X axis</source>
        <translation>Trục X</translation>
    </message>
    <message>
        <source>Y axis</source>
        <translation>Trục Y</translation>
    </message>
    <message>
        <source>Z axis</source>
        <translation>Trục Z</translation>
    </message>
    <message>
        <source>View direction</source>
        <translation>Hướng nhìn</translation>
    </message>
    <message>
        <source>Distance</source>
        <translation>Khoảng cách</translation>
    </message>
    <message>
        <source>Path (several points)</source>
        <translation>Đường gấp khúc (nhiều điểm)</translation>
    </message>
    <message>
        <source>Angle (3 points)</source>
        <translation>Góc (3 điểm)</translation>
    </message>
    <message>
        <source>+Y up</source>
        <translation>+Y hướng lên</translation>
    </message>
    <message>
        <source>+Z up</source>
        <translation>+Z hướng lên</translation>
    </message>
    <message>
        <source>+X up</source>
        <translation>+X hướng lên</translation>
    </message>
    <message>
        <source>−Y up (upside down)</source>
        <translation>−Y hướng lên (lộn ngược)</translation>
    </message>
    <message>
        <source>−Z up</source>
        <translation>−Z hướng lên</translation>
    </message>
    <message>
        <source>−X up</source>
        <translation>−X hướng lên</translation>
    </message>
    <message>
        <source>Display mode</source>
        <translation>Chế độ hiển thị</translation>
    </message>
    <message>
        <source>Standard view</source>
        <translation>Góc nhìn chuẩn</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>Đặt lại</translation>
    </message>
    <message>
        <source>Frame the whole model (R)</source>
        <translation>Hiển thị toàn bộ mô hình (R)</translation>
    </message>
    <message>
        <source>Ortho</source>
        <translation>Trực giao</translation>
    </message>
    <message>
        <source>Orthographic projection (O)</source>
        <translation>Phép chiếu trực giao (O)</translation>
    </message>
    <message>
        <source>This way up: which axis of the scan points up (+Y for glTF, +Z for most scanners and CAD). Saved with the scan (the master file is never changed); thumbnails and exports follow.</source>
        <translation>Hướng lên: trục nào của bản quét chỉ lên trên (+Y cho glTF, +Z cho hầu hết máy quét và CAD). Được lưu cùng bản quét (tệp gốc không bao giờ bị thay đổi); ảnh thu nhỏ và bản xuất làm theo.</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>Công cụ</translation>
    </message>
    <message>
        <source>Show or hide light, section and measuring tools</source>
        <translation>Hiện hoặc ẩn công cụ ánh sáng, mặt cắt và đo đạc</translation>
    </message>
    <message>
        <source>Compare…</source>
        <translation>So sánh…</translation>
    </message>
    <message>
        <source>Align another scan of this object with it and show where they differ</source>
        <translation>Căn chỉnh một bản quét khác của hiện vật này và cho thấy chỗ khác nhau</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Ánh sáng</translation>
    </message>
    <message>
        <source>Lighting preset</source>
        <translation>Kiểu chiếu sáng</translation>
    </message>
    <message>
        <source>From (azimuth)</source>
        <translation>Hướng (phương vị)</translation>
    </message>
    <message>
        <source>Height (elevation)</source>
        <translation>Độ cao (góc nâng)</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>Vị trí</translation>
    </message>
    <message>
        <source>Section position along the axis</source>
        <translation>Vị trí mặt cắt dọc theo trục</translation>
    </message>
    <message>
        <source>Export profile…</source>
        <translation>Xuất mặt cắt…</translation>
    </message>
    <message>
        <source>Save the section outline as SVG or DXF in millimetres</source>
        <translation>Lưu đường mặt cắt dạng SVG hoặc DXF theo milimét</translation>
    </message>
    <message>
        <source>What the clicks measure</source>
        <translation>Các cú nhấp dùng để đo gì</translation>
    </message>
    <message>
        <source>Measure distance</source>
        <translation>Đo khoảng cách</translation>
    </message>
    <message>
        <source>Save measurement</source>
        <translation>Lưu số đo</translation>
    </message>
    <message>
        <source>Keep this measurement with the item (its records)</source>
        <translation>Giữ số đo này cùng hiện vật (trong các ghi chép)</translation>
    </message>
    <message>
        <source>Clear measurement</source>
        <translation>Xóa số đo đang đo</translation>
    </message>
    <message>
        <source>Place landmarks</source>
        <translation>Đặt điểm mốc</translation>
    </message>
    <message>
        <source>Export landmarks…</source>
        <translation>Xuất điểm mốc…</translation>
    </message>
    <message>
        <source>Show labels</source>
        <translation>Hiện nhãn</translation>
    </message>
    <message>
        <source>Views</source>
        <translation>Góc nhìn</translation>
    </message>
    <message>
        <source>Save view</source>
        <translation>Lưu góc nhìn</translation>
    </message>
    <message>
        <source>Keep this camera position to come back to</source>
        <translation>Giữ vị trí camera này để quay lại sau</translation>
    </message>
    <message>
        <source>Fly to a saved view</source>
        <translation>Bay tới góc nhìn đã lưu</translation>
    </message>
    <message>
        <source>Mark a point…</source>
        <translation>Đánh dấu một điểm…</translation>
    </message>
    <message>
        <source>Click the model to keep a landmark or an annotation there</source>
        <translation>Nhấp vào mô hình để lưu một điểm mốc hoặc chú thích tại đó</translation>
    </message>
    <message>
        <source>Export records…</source>
        <translation>Xuất ghi chép…</translation>
    </message>
    <message>
        <source>Save this item&apos;s measurements, landmarks and annotations as CSV or JSON</source>
        <translation>Lưu các số đo, điểm mốc và chú thích của hiện vật này thành CSV hoặc JSON</translation>
    </message>
    <message>
        <source>Section</source>
        <translation>Mặt cắt</translation>
    </message>
    <message>
        <source>Cut the model</source>
        <translation>Cắt mô hình</translation>
    </message>
    <message>
        <source>Section axis</source>
        <translation>Trục mặt cắt</translation>
    </message>
    <message>
        <source>Measure</source>
        <translation>Đo</translation>
    </message>
    <message>
        <source>Export landmarks (CSV/JSON)</source>
        <translation>Xuất điểm mốc (CSV/JSON)</translation>
    </message>
    <message>
        <source>Snapshot…</source>
        <translation>Chụp ảnh…</translation>
    </message>
    <message>
        <source>Open3D</source>
        <translation>Open3D</translation>
    </message>
    <message>
        <source>Open in Open3D&apos;s own viewer window (separate process)</source>
        <translation>Mở trong cửa sổ xem riêng của Open3D (tiến trình riêng)</translation>
    </message>
</context>
<context>
    <name>ViewerWidget</name>
    <message>
        <source>No model</source>
        <translation>Chưa có mô hình</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Hủy</translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation>Đang mở {name}…</translation>
    </message>
    <message>
        <source>triangles</source>
        <translation>tam giác</translation>
    </message>
    <message>
        <source>points</source>
        <translation>điểm</translation>
    </message>
    <message>
        <source>{name} is big ({n} {noun}): it opens here as soon as its lighter copies are ready (being made now)…</source>
        <translation>{name} rất lớn ({n} {noun}): bản quét sẽ mở ở đây ngay khi các bản nhẹ sẵn sàng (đang được tạo)…</translation>
    </message>
    <message>
        <source>Preparing a lighter copy for smooth turning…</source>
        <translation>Đang chuẩn bị bản nhẹ để xoay mượt…</translation>
    </message>
    <message>
        <source>{n} triangles</source>
        <translation>{n} tam giác</translation>
    </message>
    <message>
        <source>{n} points</source>
        <translation>{n} điểm</translation>
    </message>
    <message>
        <source>Rendering failed: {error}</source>
        <translation>Không hiển thị được: {error}</translation>
    </message>
    <message>
        <source>moving: a lighter copy of {p} {noun} is drawn</source>
        <translation>đang xoay: hiển thị bản nhẹ hơn gồm {p} {noun}</translation>
    </message>
    <message>
        <source>Picking is not ready yet: {why}</source>
        <translation>Chưa thể chọn điểm: {why}</translation>
    </message>
    <message>
        <source>no model</source>
        <translation>chưa có mô hình</translation>
    </message>
    <message>
        <source>No surface under the cursor.</source>
        <translation>Không có bề mặt dưới con trỏ.</translation>
    </message>
    <message>
        <source>Distance {d} — path {p}</source>
        <translation>Khoảng cách {d} — đường đo {p}</translation>
    </message>
    <message>
        <source>Landmark {name} at {xyz}</source>
        <translation>Điểm mốc {name} tại {xyz}</translation>
    </message>
    <message>
        <source>No landmarks to export: place some first.</source>
        <translation>Chưa có điểm mốc nào để xuất: hãy đặt điểm mốc trước.</translation>
    </message>
    <message>
        <source>Export landmarks</source>
        <translation>Xuất điểm mốc</translation>
    </message>
    <message>
        <source>Save snapshot</source>
        <translation>Lưu ảnh chụp</translation>
    </message>
    <message>
        <source>Snapshot saved: {path}</source>
        <translation>Đã lưu ảnh chụp: {path}</translation>
    </message>
    <message>
        <source>View {n}</source>
        <translation>Góc nhìn {n}</translation>
    </message>
    <message>
        <source>Turn on the section of a mesh first.</source>
        <translation>Hãy bật mặt cắt của một lưới trước.</translation>
    </message>
    <message>
        <source>Export section profile</source>
        <translation>Xuất mặt cắt</translation>
    </message>
    <message>
        <source>Section profile saved: {path}</source>
        <translation>Đã lưu mặt cắt: {path}</translation>
    </message>
    <message>
        <source>Open a scan first, then compare another with it.</source>
        <translation>Hãy mở một bản quét trước, rồi so sánh bản khác với nó.</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Catalogue, view and preserve 3D scans of Huế&apos;s heritage and cuisine. Open an archive folder, create a new one, or explore the demo archive.</source>
        <translation>Lập danh mục, xem và bảo quản bản quét 3D di sản và ẩm thực Huế. Mở một thư mục kho lưu trữ, tạo kho mới, hoặc khám phá kho mẫu.</translation>
    </message>
    <message>
        <source>Open an archive…</source>
        <translation>Mở kho lưu trữ…</translation>
    </message>
    <message>
        <source>Create a new archive…</source>
        <translation>Tạo kho lưu trữ mới…</translation>
    </message>
    <message>
        <source>Try the demo archive</source>
        <translation>Dùng thử kho mẫu</translation>
    </message>
    <message>
        <source>Recent archives:</source>
        <translation>Kho lưu trữ gần đây:</translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Tệp</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Sửa</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Xem</translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation>&amp;Công cụ</translation>
    </message>
    <message>
        <source>E&amp;xport</source>
        <translation>&amp;Xuất bản</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>Cài đặ&amp;t</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>Trợ &amp;giúp</translation>
    </message>
    <message>
        <source>Open &amp;recent</source>
        <translation>Mở &amp;gần đây</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Ngôn ngữ</translation>
    </message>
    <message>
        <source>Main toolbar</source>
        <translation>Thanh công cụ chính</translation>
    </message>
    <message>
        <source>&amp;New archive…</source>
        <translation>Kho lưu trữ &amp;mới…</translation>
    </message>
    <message>
        <source>&amp;Open archive…</source>
        <translation>&amp;Mở kho lưu trữ…</translation>
    </message>
    <message>
        <source>Create &amp;demo archive…</source>
        <translation>Tạo kho &amp;mẫu…</translation>
    </message>
    <message>
        <source>&amp;Import scans…</source>
        <translation>&amp;Nhập bản quét…</translation>
    </message>
    <message>
        <source>&amp;Save metadata</source>
        <translation>&amp;Lưu siêu dữ liệu</translation>
    </message>
    <message>
        <source>Re&amp;vert metadata</source>
        <translation>&amp;Khôi phục siêu dữ liệu</translation>
    </message>
    <message>
        <source>&amp;Delete item…</source>
        <translation>&amp;Xóa mục…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>T&amp;hoát</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>&amp;Tìm</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>Làm &amp;mới</translation>
    </message>
    <message>
        <source>&amp;Grid</source>
        <translation>&amp;Lưới</translation>
    </message>
    <message>
        <source>&amp;Table</source>
        <translation>&amp;Bảng</translation>
    </message>
    <message>
        <source>&amp;Verify archive (fixity)…</source>
        <translation>&amp;Kiểm tra kho lưu trữ (toàn vẹn)…</translation>
    </message>
    <message>
        <source>&amp;Back up archive…</source>
        <translation>&amp;Sao lưu kho…</translation>
    </message>
    <message>
        <source>&amp;Restore from backup…</source>
        <translation>&amp;Khôi phục từ bản sao lưu…</translation>
    </message>
    <message>
        <source>Import metadata from &amp;CSV…</source>
        <translation>Nhập siêu dữ liệu từ &amp;CSV…</translation>
    </message>
    <message>
        <source>&amp;Export metadata as CSV…</source>
        <translation>&amp;Xuất siêu dữ liệu ra CSV…</translation>
    </message>
    <message>
        <source>&amp;Publish selected items…</source>
        <translation>&amp;Xuất bản các mục đã chọn…</translation>
    </message>
    <message>
        <source>Render missing &amp;thumbnails</source>
        <translation>Tạo &amp;ảnh thu nhỏ còn thiếu</translation>
    </message>
    <message>
        <source>3D viewer &amp;memory…</source>
        <translation>&amp;Bộ nhớ trình xem 3D…</translation>
    </message>
    <message>
        <source>&amp;About</source>
        <translation>&amp;Giới thiệu</translation>
    </message>
    <message>
        <source>Open the &amp;log folder</source>
        <translation>Mở thư mục &amp;nhật ký</translation>
    </message>
    <message>
        <source>Copy a &amp;bug report…</source>
        <translation>Chép &amp;báo cáo lỗi…</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Mở</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>Nhập</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Lưu</translation>
    </message>
    <message>
        <source>Grid</source>
        <translation>Lưới</translation>
    </message>
    <message>
        <source>Table</source>
        <translation>Bảng</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Làm mới</translation>
    </message>
    <message>
        <source>&amp;Undo edit</source>
        <translation>&amp;Hoàn tác</translation>
    </message>
    <message>
        <source>&amp;Redo edit</source>
        <translation>&amp;Làm lại</translation>
    </message>
    <message>
        <source>Import scans (Ctrl+I) — or drop files, folders or zips on the window</source>
        <translation>Nhập bản quét (Ctrl+I) — hoặc kéo thả tệp, thư mục, zip vào cửa sổ</translation>
    </message>
    <message>
        <source>Thumbnail grid (Ctrl+1)</source>
        <translation>Lưới ảnh thu nhỏ (Ctrl+1)</translation>
    </message>
    <message>
        <source>Table (Ctrl+2)</source>
        <translation>Bảng (Ctrl+2)</translation>
    </message>
</context>
<context>
    <name>WindowPermissions</name>
    <message>
        <source>The archive is on read-only media: you cannot {what}.</source>
        <translation>Kho lưu trữ nằm trên phương tiện chỉ đọc: bạn không thể {what}.</translation>
    </message>
    <message>
        <source>You are connected as {user}, who has no role in this team archive: you cannot {what}.</source>
        <translation>Bạn đang kết nối với tên {user}, chưa có vai trò nào trong kho lưu trữ nhóm này: bạn không thể {what}.</translation>
    </message>
    <message>
        <source>You are connected as {user} with the {role} role: you cannot {what}.</source>
        <translation>Bạn đang kết nối với tên {user}, vai trò {role}: bạn không thể {what}.</translation>
    </message>
    <message>
        <source>import scans</source>
        <translation>nhập bản quét</translation>
    </message>
    <message>
        <source>edit items</source>
        <translation>sửa mục</translation>
    </message>
    <message>
        <source>add vocabulary terms</source>
        <translation>thêm thuật ngữ vào danh mục từ vựng</translation>
    </message>
    <message>
        <source>delete items</source>
        <translation>xóa mục</translation>
    </message>
    <message>
        <source>set an item&apos;s status to reviewed or published</source>
        <translation>đặt trạng thái của mục là Đã duyệt hoặc Đã công bố</translation>
    </message>
    <message>
        <source>owner</source>
        <translation>chủ sở hữu</translation>
    </message>
    <message>
        <source>reviewer</source>
        <translation>người duyệt</translation>
    </message>
    <message>
        <source>cataloguer</source>
        <translation>người biên mục</translation>
    </message>
    <message>
        <source>viewer</source>
        <translation>người xem</translation>
    </message>
    <message>
        <source>no role</source>
        <translation>không có vai trò</translation>
    </message>
    <message>
        <source>Only a reviewer may delete an item that is reviewed or published.</source>
        <translation>Chỉ người duyệt mới được xóa mục đã duyệt hoặc đã công bố.</translation>
    </message>
    <message>
        <source>Team archive · connected as {user} ({role})</source>
        <translation>Kho lưu trữ nhóm · đang kết nối với tên {user} ({role})</translation>
    </message>
    <message>
        <source>read-only media</source>
        <translation>phương tiện chỉ đọc</translation>
    </message>
</context>
</TS>
