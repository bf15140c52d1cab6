#!/usr/bin/env python3
"""Writes the hostile DOCX files the hostile-input test sends to ingest.

Run from this folder: python3 make_hostile.py. The outputs are checked in
(a few KiB each) so the test needs no Python; this script is how they were made.
"""
import zipfile

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')


def docx(name, document_xml):
    with zipfile.ZipFile(name, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', CONTENT_TYPES)
        z.writestr('word/document.xml', document_xml)


# "Billion laughs": ten entities, each ten of the one before.
entities = '<!ENTITY lol0 "lol">' + ''.join(
    f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10))
docx('entity-bomb.docx',
     f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
     f'<w:document {W}><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>')

# A document.xml of 128 MiB of spaces (over --max_docx_xml_mb): 128 KiB compressed.
with zipfile.ZipFile('decompression-bomb.docx', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('[Content_Types].xml', CONTENT_TYPES)
    with z.open('word/document.xml', 'w', force_zip64=True) as f:
        f.write(f'<w:document {W}><w:body><w:p><w:r><w:t>'.encode())
        chunk = b' ' * (1 << 20)
        for _ in range(128):
            f.write(chunk)
        f.write(b'</w:t></w:r></w:p></w:body></w:document>')

# Elements nested 100,000 deep (smart tags inside smart tags).
docx('deep-nesting.docx',
     f'<w:document {W}><w:body><w:p>' + '<w:smartTag>' * 100000 + '<w:r><w:t>办理3件</w:t></w:r>' +
     '</w:smartTag>' * 100000 + '</w:p></w:body></w:document>')
