// DOCX reader: paragraphs, and table rows as tab-separated lines, from
// word/document.xml (libzip for the archive, libxml2 for the XML).
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <zip.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/doc/formats.h"

namespace zb::doc {
namespace {

constexpr char kWordNs[] = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

bool IsWord(const xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE && node->ns != nullptr &&
         xmlStrcmp(node->ns->href, reinterpret_cast<const xmlChar*>(kWordNs)) == 0 &&
         xmlStrcmp(node->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

// Text of a paragraph's runs: w:t, w:tab as a tab, w:br as a line break.
// Recursion is bounded by libxml2's own nesting limit (256 without
// XML_PARSE_HUGE).
void ParagraphText(const xmlNode* node, std::string* out) {
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (IsWord(c, "t")) {
      xmlChar* content = xmlNodeGetContent(c);
      if (content != nullptr) {
        out->append(reinterpret_cast<const char*>(content));
        xmlFree(content);
      }
    } else if (IsWord(c, "tab")) {
      out->push_back('\t');
    } else if (IsWord(c, "br") || IsWord(c, "cr")) {
      out->push_back('\n');
    } else if (c->type == XML_ELEMENT_NODE && !IsWord(c, "instrText") && !IsWord(c, "delText")) {
      ParagraphText(c, out);  // runs, hyperlinks, smart tags, insertions
    }
  }
}

absl::Status BlockText(const xmlNode* node, const CallBudget& budget, std::string* out);

void TableText(const xmlNode* table, std::string* out) {
  for (const xmlNode* row = table->children; row != nullptr; row = row->next) {
    if (!IsWord(row, "tr")) continue;
    std::string line;
    bool first = true;
    for (const xmlNode* cell = row->children; cell != nullptr; cell = cell->next) {
      if (!IsWord(cell, "tc")) continue;
      std::string cell_text;
      for (const xmlNode* p = cell->children; p != nullptr; p = p->next) {
        if (IsWord(p, "p")) {
          std::string para;
          ParagraphText(p, &para);
          if (!cell_text.empty() && !para.empty()) cell_text.push_back(' ');
          cell_text += para;
        }
      }
      if (!first) line.push_back('\t');
      line += cell_text;
      first = false;
    }
    absl::StrAppend(out, line, "\n");
  }
}

absl::Status BlockText(const xmlNode* node, const CallBudget& budget, std::string* out) {
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (absl::Status s = budget.CheckEvery(256, "reading the DOCX"); !s.ok()) return s;
    if (IsWord(c, "p")) {
      std::string para;
      ParagraphText(c, &para);
      absl::StrAppend(out, para, "\n");
    } else if (IsWord(c, "tbl")) {
      TableText(c, out);
    } else if (IsWord(c, "sdt") || IsWord(c, "sdtContent") || IsWord(c, "customXml")) {
      if (absl::Status s = BlockText(c, budget, out); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// Word never writes a DTD into document.xml; one that declares entities is
// the "billion laughs" expansion bomb. Refused before libxml2 sees it.
bool DeclaresDtd(absl::string_view xml) {
  const absl::string_view head = xml.substr(0, std::min<size_t>(xml.size(), 64 << 10));
  return absl::StrContains(head, "<!DOCTYPE") || absl::StrContains(xml, "<!ENTITY");
}

}  // namespace

absl::StatusOr<DocumentText> ReadDocxDocument(absl::string_view bytes, const ReadLimits& limits,
                                              const CallBudget& budget) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) return absl::InvalidArgumentError("damaged DOCX: not a readable ZIP");
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open_from_source(source, ZIP_RDONLY, &error));
  zip_error_fini(&error);
  if (archive == nullptr) {
    zip_source_free(source);
    return absl::InvalidArgumentError("damaged DOCX: not a readable ZIP");
  }
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat(archive.get(), "word/document.xml", 0, &stat) != 0) {
    return absl::InvalidArgumentError("ZIP archive that is not DOCX (no word/document.xml)");
  }
  if ((stat.valid & ZIP_STAT_SIZE) == 0) {
    return absl::InvalidArgumentError("damaged DOCX: word/document.xml has no recorded size");
  }
  if (stat.size > limits.max_docx_xml_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DOCX word/document.xml decompresses to ", stat.size, " bytes, over the limit of ",
        limits.max_docx_xml_bytes, " bytes (--max_docx_xml_mb)"));
  }
  std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen(archive.get(), "word/document.xml", 0));
  if (file == nullptr) {
    return absl::InvalidArgumentError("damaged DOCX: word/document.xml cannot be opened");
  }
  std::string xml(stat.size, '\0');
  zip_int64_t read = zip_fread(file.get(), xml.data(), stat.size);
  if (read < 0 || static_cast<zip_uint64_t>(read) != stat.size) {
    return absl::InvalidArgumentError("damaged DOCX: word/document.xml cannot be decompressed");
  }
  if (DeclaresDtd(xml)) {
    return absl::InvalidArgumentError(
        "DOCX word/document.xml declares a DTD or entities (<!DOCTYPE/<!ENTITY): Word never "
        "writes one, and zhibiao does not expand entities");
  }
  if (absl::Status s = budget.Check("reading the DOCX"); !s.ok()) return s;
  // No entity substitution, no DTD loading, no network, and libxml2's
  // default limits on depth and text node size (no XML_PARSE_HUGE).
  std::unique_ptr<xmlDoc, XmlDocFree> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "document.xml", nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (doc == nullptr) {
    return absl::InvalidArgumentError(
        "damaged DOCX: word/document.xml is not well-formed XML (or nests elements more than "
        "256 deep)");
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  const xmlNode* body = nullptr;
  for (const xmlNode* c = root != nullptr ? root->children : nullptr; c != nullptr; c = c->next) {
    if (IsWord(c, "body")) body = c;
  }
  if (body == nullptr)
    return absl::InvalidArgumentError("damaged DOCX: document.xml has no w:body");
  DocumentText out;
  out.format = zhibiao::v1::DOCUMENT_FORMAT_DOCX;
  out.encoding = "UTF-8";
  if (absl::Status s = BlockText(body, budget, &out.utf8); !s.ok()) return s;
  return out;
}

}  // namespace zb::doc
