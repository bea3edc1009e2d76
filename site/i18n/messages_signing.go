package i18n

// Messages of packages signing and qrimage: QR code URLs and images.
var signingMessages = map[string]Msg{
	"image.no_image_was_received":     {"没有收到图片：请选择一个 PNG 或 JPEG 文件", "no image was received: choose a PNG or JPEG file"},
	"image.image_damaged_cannot_read": {"图片已损坏，无法读取", "the image is damaged and cannot be read"},
	"image.no_readable_qr_code":       {"图片中找不到可读的二维码：请上传更清晰、完整的二维码图片", "no readable QR code was found in the image: upload a sharper picture showing the whole QR code"},
	"image.file_too_large_mb":         {"文件过大（%.1f MB，最多 %d MB）", "the file is too large (%.1f MB, at most %d MB)"},
	"image.file_too_large_over":       {"文件过大（超过 %d MB）：请上传二维码的截图", "the file is too large (over %d MB): upload a screenshot of the QR code"},
	"qr.no_signing_key":               {"没有可用的签名密钥", "no signing key"},
	"qr.qr_code_s_content":            {"二维码内容过长（%d 字节）：不是证书二维码", "the QR code's content is too long (%d bytes): it is not a certificate QR code"},
	"qr.qr_code_does_not":             {"二维码内容不是网址：不是证书二维码", "the QR code does not hold a web address: it is not a certificate QR code"},
	"qr.address_not_certificate_qr":   {"网址 %s 不是证书二维码网址（应含 /V/）", "the address %s is not a certificate QR code address (it should contain /V/)"},
	"qr.too_long":                     {"过长", "it is too long"},
	"qr.certificate_number_missing":   {"缺少证书编号", "the certificate number is missing"},
	"qr.signature_part_has_wrong":     {"签名部分的长度或字符不对", "the signature part has the wrong length or characters"},
	"qr.damaged":                      {"证书二维码网址不完整或已损坏：%s", "the certificate QR code address is incomplete or damaged: %s"},
	"qr.number_invalid":               {"证书编号无效（%s）", "the certificate number is invalid (%s)"},
	"qr.unknown_key":                  {"签名密钥 %s 不是本登记库发布的密钥：二维码是伪造的。", "The signing key %s is not one this registry has published: the QR code is forged."},
	"qr.changed_since_printed":        {"二维码签名真实，但证书内容在打印后已变更：以下标出的项目与登记库当前记录不同，请以登记库为准。", "The QR code's signature is genuine, but the certificate changed after it was printed: the fields marked below differ from the registry's current record, which prevails."},
	"qr.matches_no_contents":          {"签名与本证书任何时候的登记内容都不符：二维码或证书内容被伪造或篡改。", "The signature matches none of this certificate's registered contents, past or present: the QR code or the certificate was forged or altered."},
	"qr.foreign_host":                 {"二维码指向 %s，而不是本登记库（%s）：很可能是伪造的。", "The QR code points to %s, not to this registry (%s): it is likely forged."},
	"image.is_pdf":                    {"上传的文件是 PDF 文件，不是图片（文件名可能被改过）：请上传二维码的 PNG 或 JPEG 截图或扫描件", "the uploaded file is a PDF document, not an image (its name may have been changed): upload a PNG or JPEG screenshot or scan of the QR code"},
	"image.not_png_or_jpeg":           {"上传的文件不是 PNG 或 JPEG 图片：请上传二维码的 PNG 或 JPEG 截图或扫描件", "the uploaded file is not a PNG or JPEG image: upload a PNG or JPEG screenshot or scan of the QR code"},
	"image.too_deep_to_decode":        {"图片（%[1]d×%[2]d 像素，每个通道 %[3]d 位）解码需要约 %[4]d MB 内存，超过上限 %[5]d MB：请另存为 8 位的 PNG 或普通（非渐进式）JPEG，或裁剪到二维码附近再上传", "the image (%[1]d×%[2]d pixels, %[3]d bits a channel) would take about %[4]d MB of memory to decode, over the limit of %[5]d MB: save it as an 8-bit PNG or a baseline (not progressive) JPEG, or crop it around the QR code, and upload again"},
	"image.too_many_pixels":           {"图片尺寸过大（%[1]d×%[2]d 像素，最多 %[3]d 万像素）：请裁剪到二维码附近再上传", "the image is too large (%[1]d×%[2]d pixels, at most %[4]d million): crop it around the QR code and upload again"},
}
